import { describe, expect, it } from 'vitest';
import { createProgressThrottle, sseMessage, streamStart, type ProgressFrame } from '../../src/gateway/sse.js';

describe('server-sent events', () => {
  it('formats one message per event, with the log position as id', () => {
    expect(sseMessage('event', { a: 'line\nbreak' }, 7)).toBe('id: 7\nevent: event\ndata: {"a":"line\\nbreak"}\n\n');
    expect(sseMessage('caught_up', { position: 3 })).toBe('event: caught_up\ndata: {"position":3}\n\n');
  });

  it('resumes after the last event a reconnecting browser saw, else from ?from=, else live', () => {
    expect(streamStart('5', '41')).toBe(42);
    expect(streamStart('5', undefined)).toBe(5);
    expect(streamStart(null, undefined)).toBeUndefined();
    expect(streamStart('-1', 'x')).toBeUndefined();
    expect(streamStart('1e3', '')).toBeUndefined();
  });

  it('passes the first progress of a job at once, then the latest at most every interval', async () => {
    const sent: ProgressFrame[] = [];
    const throttle = createProgressThrottle(40, (f) => sent.push(f));
    for (let i = 1; i <= 50; i++) throttle.push({ jobId: 'a', bytesDone: i });
    throttle.push({ jobId: 'b', bytesDone: 1 });
    expect(sent).toEqual([{ jobId: 'a', bytesDone: 1 }, { jobId: 'b', bytesDone: 1 }]);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent.at(-1)).toEqual({ jobId: 'a', bytesDone: 50 });
    expect(sent).toHaveLength(3);
    throttle.push({ jobId: 'a', bytesDone: 60 });
    throttle.push({ jobId: 'a', bytesDone: 70 });
    // An event for the job is about to go out: pending progress goes first, never after it.
    throttle.flush();
    expect(sent.at(-1)).toEqual({ jobId: 'a', bytesDone: 70 });
    throttle.stop();
  });
});
