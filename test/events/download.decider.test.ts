import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_SCHEDULE, decideJob, decideRunner, evolveJob, foldJob, initialJob, retryDelayMs, type JobCommand, type RunnerCommand,
} from '../../src/events/download.decider.js';
import type { DomainEvent, DomainStoredEvent } from '../../src/events/index.js';
import { createMemoryView } from '../../src/projections/memory-view.js';
import { jobsTable, queueProjection } from '../../src/projections/queue.projection.js';
import { domainEvent } from '../support/arbitraries.js';
import { deciderSpec } from '../support/decider-spec.js';

const spec = deciderSpec({ initial: initialJob, evolve: evolveJob, decide: (s, c: JobCommand) => decideJob(s, c, 'j1') });
const runner = deciderSpec({ initial: initialJob, evolve: evolveJob, decide: (s, c: RunnerCommand) => decideRunner(s, c) });

const requested: DomainEvent = { type: 'download.requested', data: { jobId: 'j1', input: 'https://civitai.com/models/1' } };
const resolved: DomainEvent = {
  type: 'download.resolved',
  data: {
    source: 'civitai', modelId: 1, versionId: 2, fileId: 3, fileName: 'a.safetensors', sizeBytes: 10, sha256: 'a'.repeat(64),
    modelName: 'A', versionName: 'v1', modelType: 'LORA', baseModel: 'SDXL 1.0', civitai: {},
  },
};
const sha = 'a'.repeat(64);
const planned: DomainEvent = {
  type: 'download.transfer_planned',
  data: { totalBytes: 10, segments: [{ index: 0, start: 0, end: 10 }], etag: '"e"', lastModified: null, partName: 'j1.part', rangesIgnored: false },
};
const chunk: DomainEvent = { type: 'download.chunk_written', data: { segment: 0, offset: 0, length: 4 } };
const pause: DomainEvent = { type: 'download.paused', data: { reason: 'user', message: null } };
const queued = [requested, resolved];
const running: DomainEvent[] = [...queued, { type: 'download.attempt_started', data: { attempt: 1 } }];
const downloading: DomainEvent[] = [...running, planned, chunk];
const paused: DomainEvent[] = [...downloading, pause];
const failed: DomainEvent[] = [...running, { type: 'download.failed', data: { code: 'HTTP_STATUS', message: '404', retryable: false } }];
const cancelled: DomainEvent[] = [...queued, { type: 'download.cancelled', data: {} }];
const transferred: DomainEvent[] = [...downloading, { type: 'download.transfer_completed', data: { sha256: sha, bytes: 10 } }, { type: 'download.hash_verified', data: { sha256: sha } }];
const routed: DomainEvent[] = [...transferred, {
  type: 'routing.decided',
  data: { folder: 'loras', kind: 'lora', baseModel: 'SDXL 1.0', headerKind: 'lora', civitaiType: 'LORA', reason: 'header', flagged: null, signals: [], confidence: 'high' },
} as unknown as DomainEvent];
const completed: DomainEvent[] = [...running, { type: 'download.placed', data: { path: 'loras/a.safetensors', folder: 'loras', sizeBytes: 10, sha256: sha, alreadyPresent: false } }];
const now = '2026-06-01T12:00:00.000Z';
const fail = (kind: 'transient' | 'permanent', at = now): RunnerCommand => ({
  type: 'fail', code: 'NETWORK', message: 'connection refused', kind, now: at, random: 0.5, schedule: DEFAULT_RETRY_SCHEDULE,
});
const waiting: DomainEvent[] = [...downloading, ...decideRunner(foldJob(downloading), fail('transient'))._unsafeUnwrap()];

describe('download decider: what users ask', () => {
  describe('request', () => {
    const request = { type: 'request', requested: requested.data, resolved: resolved.data } as JobCommand;
    it('starts a job', () => spec.given([]).when(request).then(queued));
    it('is idempotent', () => spec.given([]).when(request).thenIdempotent());
    it('does nothing for a job that exists', () => spec.given(running).when(request).thenNothing());
  });
  describe('pause', () => {
    it('pauses a downloading job', () => spec.given(downloading).when({ type: 'pause' }).then([pause]));
    it('pauses a waiting job', () => spec.given(waiting).when({ type: 'pause' }).then([pause]));
    it('is idempotent', () => spec.given(queued).when({ type: 'pause' }).thenIdempotent());
    it('refuses a job being placed: it completes in a moment', () => spec.given(routed).when({ type: 'pause' }).thenFails('INVALID_STATE'));
    it('refuses a completed job', () => spec.given(completed).when({ type: 'pause' }).thenFails('INVALID_STATE'));
    it('refuses an unknown job', () => spec.given([]).when({ type: 'pause' }).thenFails('NOT_FOUND'));
  });
  describe('resume', () => {
    const resumed: DomainEvent[] = [{ type: 'download.resumed', data: {} }];
    it('resumes a paused job', () => spec.given(paused).when({ type: 'resume' }).then(resumed));
    it('starts a waiting job at once', () => spec.given(waiting).when({ type: 'resume' }).then(resumed));
    it('starts a failed job again', () => spec.given(failed).when({ type: 'resume' }).then(resumed));
    it('is idempotent', () => spec.given(paused).when({ type: 'resume' }).thenIdempotent());
    it('points a cancelled job to retry', () => spec.given(cancelled).when({ type: 'resume' }).thenFails('INVALID_STATE'));
  });
  describe('cancel', () => {
    it('cancels a paused job', () => spec.given(paused).when({ type: 'cancel' }).then([{ type: 'download.cancelled', data: {} }]));
    it('is idempotent', () => spec.given(running).when({ type: 'cancel' }).thenIdempotent());
    it('refuses a completed job', () => spec.given(completed).when({ type: 'cancel' }).thenFails('INVALID_STATE'));
    it('refuses a job being placed', () => spec.given(routed).when({ type: 'cancel' }).thenFails('INVALID_STATE'));
  });
  describe('retry', () => {
    it('retries a failed job', () => spec.given(failed).when({ type: 'retry' }).then([{ type: 'download.retried', data: {} }]));
    it('retries a cancelled job', () => spec.given(cancelled).when({ type: 'retry' }).then([{ type: 'download.retried', data: {} }]));
    it('starts a waiting job at once', () => spec.given(waiting).when({ type: 'retry' }).then([{ type: 'download.retried', data: {} }]));
    it('is idempotent', () => spec.given(failed).when({ type: 'retry' }).thenIdempotent());
    it('does nothing for a job still running', () => spec.given(running).when({ type: 'retry' }).thenNothing());
    it('refuses a completed job', () => spec.given(completed).when({ type: 'retry' }).thenFails('INVALID_STATE'));
  });
});

describe('download decider: what the runner records', () => {
  const record = (...events: DomainEvent[]): RunnerCommand => ({ type: 'record', events });
  it('starts a queued job', () => runner.given(queued).when({ type: 'start', now }).then([{ type: 'download.attempt_started', data: { attempt: 1 } }]));
  it('resumes a job a crash left running', () => runner.given(downloading).when({ type: 'start', now }).then([{ type: 'download.attempt_started', data: { attempt: 2 } }]));
  it('does not start a paused or cancelled job', () => {
    runner.given(paused).when({ type: 'start', now }).thenFails('NOT_RUNNABLE');
    runner.given(cancelled).when({ type: 'start', now }).thenFails('NOT_RUNNABLE');
  });
  it('starts a waiting job only once its time has come', () => {
    const at = foldJob(waiting).nextAttemptAt!;
    runner.given(waiting).when({ type: 'start', now }).thenFails('NOT_RUNNABLE');
    runner.given(waiting).when({ type: 'start', now: at }).then([{ type: 'download.attempt_started', data: { attempt: 2 } }]);
  });

  it('records a chunk that lands after a pause as progress, and the job stays paused', () => {
    runner.given(paused).when(record(chunk)).then([chunk]);
    const after = foldJob([...paused, { type: 'download.chunk_written', data: { segment: 0, offset: 4, length: 4 } }]);
    expect(after.status).toBe('paused');
    expect(after.plan?.segments[0]?.done).toBe(8);
  });
  it('lets a pause win the race with a handler append: the runner decides again and records nothing that moves the state', () => {
    // The runner decided "failed" on the stream as it was; the pause landed first; deciding again says nothing.
    runner.given(paused).when(fail('permanent')).thenNothing();
    runner.given(paused).when(fail('transient')).thenNothing();
    runner.given(paused).when({ type: 'pause_for_disk', message: 'full' }).thenNothing();
    runner.given(paused).when({ type: 'advance', events: [routed.at(-1)!] }).thenNothing();
    // Facts about bytes are still kept, without a state change: a transfer that finished as the pause came.
    const done = { type: 'download.transfer_completed', data: { sha256: sha, bytes: 10 } } as const;
    runner.given(paused).when(record(done)).then([done]);
    expect(foldJob([...paused, done]).status).toBe('paused');
  });
  it('records nothing once a job is cancelled', () => runner.given([...downloading, { type: 'download.cancelled', data: {} }]).when(record(chunk)).thenNothing());

  it('schedules a transient failure for an automatic retry with capped, jittered backoff', () => {
    const [event] = decideRunner(foldJob(downloading), fail('transient'))._unsafeUnwrap();
    expect(event).toMatchObject({ type: 'download.retry_scheduled', data: { retry: 1, code: 'NETWORK', failingSince: now } });
    const data = (event as Extract<DomainEvent, { type: 'download.retry_scheduled' }>).data;
    expect(Date.parse(data.nextAttemptAt) - Date.parse(now)).toBe(data.delayMs);
    expect(data.delayMs).toBeLessThanOrEqual(DEFAULT_RETRY_SCHEDULE.firstDelayMs);
    expect(foldJob([...downloading, event!]).status).toBe('waiting');
  });
  it('backs off further on each failure in a row, up to the cap, and starts over after progress', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => retryDelayMs(n, DEFAULT_RETRY_SCHEDULE, 1));
    expect(delays.slice(0, 3)).toEqual([5_000, 10_000, 20_000]);
    expect(Math.max(...delays)).toBe(DEFAULT_RETRY_SCHEDULE.maxDelayMs);
    const second = [...waiting, { type: 'download.attempt_started', data: { attempt: 2 } } as DomainEvent];
    expect(decideRunner(foldJob(second), fail('transient'))._unsafeUnwrap()[0]).toMatchObject({ data: { retry: 2 } });
    expect(decideRunner(foldJob([...second, chunk]), fail('transient'))._unsafeUnwrap()[0]).toMatchObject({ data: { retry: 1 } });
  });
  it('gives up after failing for 24 hours without progress', () => {
    const later = new Date(Date.parse(now) + DEFAULT_RETRY_SCHEDULE.giveUpAfterMs).toISOString();
    const again = [...waiting, { type: 'download.attempt_started', data: { attempt: 2 } } as DomainEvent];
    runner.given(again).when(fail('transient', later)).then([{
      type: 'download.failed', data: { code: 'NETWORK', message: 'connection refused (gave up after retrying for 24 h)', retryable: true },
    }]);
  });
  it('fails at once for what a retry cannot fix', () =>
    runner.given(downloading).when(fail('permanent')).then([{ type: 'download.failed', data: { code: 'NETWORK', message: 'connection refused', retryable: false } }]));
  it('pauses for disk space with the message', () =>
    runner.given(downloading).when({ type: 'pause_for_disk', message: 'need 1 GB' }).then([{ type: 'download.paused', data: { reason: 'disk_full', message: 'need 1 GB' } }]));
  it('folds a segment split into the layout a resume rebuilds, with the chunks on either side', () => {
    const wide: DomainEvent = { ...planned, data: { ...planned.data, totalBytes: 100, segments: [{ index: 0, start: 0, end: 60 }, { index: 1, start: 60, end: 100 }] } } as DomainEvent;
    const job = foldJob([
      ...running, wide,
      { type: 'download.chunk_written', data: { segment: 1, offset: 60, length: 10 } },
      { type: 'download.segment_split', data: { segment: 1, at: 80, newSegment: 2 } },
      { type: 'download.chunk_written', data: { segment: 2, offset: 80, length: 5 } },
      { type: 'download.chunk_written', data: { segment: 1, offset: 70, length: 10 } },
    ]);
    expect(job.status).toBe('downloading');
    expect(job.plan?.segments).toEqual([
      { index: 0, start: 0, end: 60, done: 0 },
      { index: 1, start: 60, end: 80, done: 20 },
      { index: 2, start: 80, end: 100, done: 5 },
    ]);
  });
  it('keeps one connection once the server was seen ignoring Range', () => {
    const single = { ...planned, data: { ...planned.data, rangesIgnored: true } } as DomainEvent;
    expect(foldJob([...running, single]).rangesIgnored).toBe(true);
    expect(foldJob([...running, single, { type: 'download.transfer_restarted', data: { reason: 'x' } }, planned]).rangesIgnored).toBe(true);
  });
});

describe('one state vocabulary', () => {
  const viewState = (events: readonly DomainEvent[]): string | undefined => {
    const view = createMemoryView();
    events.forEach((e, i) => queueProjection.apply(view, {
      ...e, position: i + 1, streamId: 'download-j1', streamPosition: i + 1, eventId: `e${i}`, version: 1,
      metadata: { actor: 'test' }, recordedAt: now,
    } as DomainStoredEvent));
    return view.get(jobsTable, 'j1')?.state;
  };

  it('the queue view says what the decider says, for every history (a chunk after a pause included)', () => {
    expect(viewState([...paused, chunk])).toBe('paused');
    expect(viewState(waiting)).toBe('waiting');
    fc.assert(
      fc.property(fc.array(domainEvent.filter((e) => e.type.startsWith('download.') && e.type !== 'download.requested'), { maxLength: 40 }), (tail) => {
        const history = [requested, ...tail];
        expect(viewState(history)).toBe(foldJob(history).status);
      }),
      { numRuns: 300 },
    );
  });
});
