import { describe, expect, it } from 'vitest';
import { createJobFrames } from '../../src/api/job-frames.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { JobJson } from '../../src/ipc/protocol.js';

const job = (id: string, state: JobJson['state'], bytesDone = 0): JobJson => ({
  id, state, modelId: 1, versionId: 2, fileId: 3, fileName: 'f.safetensors', path: null, sha256: null, bytesDone, bytesTotal: 100,
  error: null, errorCode: null, modelName: 'M', versionName: 'v1', type: 'LORA', baseModel: 'SDXL 1.0', folder: null,
  routingReason: null, attempts: 1, nextAttemptAt: null, pausedReason: null, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
  source: 'civitai', repo: null, revision: null, repoPath: null,
});

let position = 0;
const event = (streamId: string, type: string): StoredEvent => ({
  position: ++position, streamId, streamPosition: 1, eventId: `e${position}`, type, version: 1, data: {}, metadata: { actor: 'test' }, recordedAt: '2026-01-01T00:00:00Z',
});

describe('job frames for subscribers that show jobs', () => {
  it('sends each job the backlog touched once, at catch-up, as it is now', async () => {
    const views = new Map([['a', job('a', 'downloading', 40)], ['b', job('b', 'completed', 100)]]);
    const frames = createJobFrames(async (id) => views.get(id));
    for (const type of ['download.requested', 'download.resolved', 'download.chunk_written', 'download.chunk_written']) {
      expect(await frames.afterEvent(event('download-a', type))).toEqual([]);
    }
    expect(await frames.afterEvent(event('download-b', 'download.placed'))).toEqual([]);
    expect(await frames.afterEvent(event('settings', 'settings.changed'))).toEqual([]);
    expect((await frames.caughtUp()).map((j) => [j.id, j.state, j.bytesDone])).toEqual([['a', 'downloading', 40], ['b', 'completed', 100]]);
  });

  it('after catch-up, sends a job when an event changed it, and not for chunks that only move bytes', async () => {
    const views = new Map([['a', job('a', 'resolving', 10)]]);
    const frames = createJobFrames(async (id) => views.get(id));
    await frames.afterEvent(event('download-a', 'download.attempt_started'));
    expect((await frames.caughtUp()).map((j) => j.state)).toEqual(['resolving']);
    // A resumed transfer: the first chunk is what moves the job to downloading; that one is sent, later ones not.
    views.set('a', job('a', 'downloading', 20));
    expect((await frames.afterEvent(event('download-a', 'download.chunk_written'))).map((j) => j.state)).toEqual(['downloading']);
    views.set('a', job('a', 'downloading', 30));
    expect(await frames.afterEvent(event('download-a', 'download.chunk_written'))).toEqual([]);
    views.set('a', { ...job('a', 'paused', 30), pausedReason: 'user' });
    expect((await frames.afterEvent(event('download-a', 'download.paused'))).map((j) => [j.state, j.bytesDone])).toEqual([['paused', 30]]);
    // Several events folded in one batch leave the job as the first frame showed it: nothing more to send.
    expect(await frames.afterEvent(event('download-a', 'download.validator_seen'))).toEqual([]);
  });

  it('sends nothing for a job the view does not know', async () => {
    const frames = createJobFrames(async () => undefined);
    await frames.caughtUp();
    expect(await frames.afterEvent(event('download-x', 'download.requested'))).toEqual([]);
  });
});
