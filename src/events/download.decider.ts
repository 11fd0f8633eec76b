import { err, ok, type Result } from 'neverthrow';
import type { DomainEvent, EventDataOf } from './index.js';
import { jitteredBackoffMs } from '../http/retry.js';

/**
 * The one vocabulary of a job's state (ARCHITECTURE.md §8), used by the decider, the queue view and every client.
 * `none` is a stream that does not exist yet.
 */
export type JobState = 'queued' | 'resolving' | 'downloading' | 'waiting' | 'paused' | 'verifying' | 'completed' | 'failed' | 'cancelled';
export type JobStatus = 'none' | JobState;

/** States the job runner owns: only its own events move a job out of them, and a user's pause or cancel. */
export const RUNNING_STATES = ['resolving', 'downloading', 'verifying'] as const satisfies readonly JobState[];
const RUNNING: ReadonlySet<JobStatus> = new Set(RUNNING_STATES);
/** States a job waits in for the runner to start (again). */
const STARTABLE: ReadonlySet<JobStatus> = new Set(['queued', 'waiting']);

export interface StatusContext {
  /** The whole file is on disk and hashed (a `transfer_completed` not undone since). */
  readonly transferred: boolean;
}

/**
 * How one event moves a job's state: the single place the vocabulary is derived, for the decider's fold and the
 * queue projection alike. A user's pause or cancel is final: no runner event moves a job out of `paused` or
 * `cancelled`, so bytes that land after a pause are progress, never a state change.
 */
export function statusAfter(status: JobStatus, event: DomainEvent, ctx: StatusContext): JobStatus {
  switch (event.type) {
    case 'download.requested':
      return status === 'none' ? 'resolving' : status;
    case 'download.resolved':
      return status === 'resolving' ? 'queued' : status;
    case 'download.attempt_started':
      return STARTABLE.has(status) || RUNNING.has(status) ? (ctx.transferred ? 'verifying' : 'resolving') : status;
    case 'download.transfer_planned':
    case 'download.chunk_written':
      return status === 'resolving' ? 'downloading' : status;
    case 'download.transfer_completed':
      return status === 'resolving' || status === 'downloading' ? 'verifying' : status;
    case 'download.placed':
      return RUNNING.has(status) ? 'completed' : status;
    case 'download.hash_mismatched':
    case 'download.failed':
      return RUNNING.has(status) || status === 'waiting' ? 'failed' : status;
    case 'download.retry_scheduled':
      return RUNNING.has(status) ? 'waiting' : status;
    case 'download.paused':
      return 'paused';
    case 'download.resumed':
    case 'download.retried':
      return 'queued';
    case 'download.cancelled':
      return 'cancelled';
    default:
      return status;
  }
}

export interface SegmentProgress {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Bytes from `start` known durable on disk. */
  readonly done: number;
}

export interface TransferPlan {
  readonly totalBytes: number;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly partName: string;
  readonly segments: readonly SegmentProgress[];
}

/** A job as its own stream tells it: enough to decide commands and to resume a transfer after a crash. */
export interface JobFold {
  readonly status: JobStatus;
  readonly attempts: number;
  readonly pausedReason: 'user' | 'disk_full' | null;
  /** When a `waiting` job may start again (ISO). */
  readonly nextAttemptAt: string | null;
  /** Automatic retries since the job last made progress, and when that streak of failures began. */
  readonly failuresInRow: number;
  readonly failingSince: string | null;
  readonly resolved: EventDataOf<'download.resolved'> | null;
  readonly plan: TransferPlan | null;
  /** The storage host answered a ranged request with the whole file: one connection from then on. */
  readonly rangesIgnored: boolean;
  readonly transferredSha256: string | null;
  readonly verified: boolean;
  readonly route: EventDataOf<'routing.decided'> | null;
  /** Where the request pinned the file (a workflow's `<directory>/<name>`); null: the route and template decide. */
  readonly target: NonNullable<EventDataOf<'download.requested'>['target']> | null;
}

export const initialJob: JobFold = {
  status: 'none', attempts: 0, pausedReason: null, nextAttemptAt: null, failuresInRow: 0, failingSince: null,
  resolved: null, plan: null, rangesIgnored: false, transferredSha256: null, verified: false, route: null, target: null,
};

const progressMade = { failuresInRow: 0, failingSince: null } as const;

export function evolveJob(state: JobFold, event: DomainEvent): JobFold {
  const next = { ...state, status: statusAfter(state.status, event, { transferred: state.transferredSha256 !== null }) };
  switch (event.type) {
    case 'download.requested':
      return { ...next, target: event.data.target ?? null };
    case 'download.resolved':
      return { ...next, resolved: event.data };
    case 'download.attempt_started':
      return { ...next, attempts: event.data.attempt, nextAttemptAt: null };
    case 'download.transfer_planned':
      return {
        ...next,
        rangesIgnored: next.rangesIgnored || event.data.rangesIgnored,
        plan: {
          totalBytes: event.data.totalBytes, etag: event.data.etag, lastModified: event.data.lastModified,
          partName: event.data.partName, segments: event.data.segments.map((s) => ({ ...s, done: 0 })),
        },
      };
    case 'download.validator_seen':
      return next.plan ? { ...next, plan: { ...next.plan, etag: event.data.etag, lastModified: event.data.lastModified } } : next;
    case 'download.chunk_written': {
      const plan = next.plan;
      if (!plan) return next;
      const { segment, offset, length } = event.data;
      return {
        ...next,
        ...progressMade,
        plan: {
          ...plan,
          segments: plan.segments.map((s) => (s.index === segment ? { ...s, done: Math.max(s.done, offset + length - s.start) } : s)),
        },
      };
    }
    case 'download.segment_split': {
      const plan = next.plan;
      const { segment, at, newSegment } = event.data;
      const owner = plan?.segments.find((s) => s.index === segment);
      if (!plan || !owner) return next;
      return {
        ...next,
        plan: {
          ...plan,
          segments: [
            ...plan.segments.map((s) => (s === owner ? { ...s, end: at } : s)),
            { index: newSegment, start: at, end: owner.end, done: 0 },
          ],
        },
      };
    }
    case 'download.transfer_restarted':
      return { ...next, plan: null, transferredSha256: null };
    case 'download.transfer_completed':
      return { ...next, ...progressMade, transferredSha256: event.data.sha256 };
    case 'download.hash_verified':
      return { ...next, verified: true };
    case 'download.hash_mismatched':
      return { ...next, plan: null, transferredSha256: null, verified: false };
    case 'routing.decided':
      return { ...next, route: event.data };
    case 'download.retry_scheduled':
      return {
        ...next,
        nextAttemptAt: event.data.nextAttemptAt,
        failuresInRow: state.failuresInRow + 1,
        failingSince: state.failingSince ?? event.data.failingSince,
      };
    case 'download.paused':
      return { ...next, pausedReason: event.data.reason, nextAttemptAt: null };
    case 'download.resumed':
    case 'download.retried':
      return { ...next, ...progressMade, pausedReason: null, nextAttemptAt: null };
    case 'download.cancelled':
      return { ...next, plan: null, transferredSha256: null, nextAttemptAt: null };
    default:
      return next;
  }
}

export const foldJob = (events: readonly DomainEvent[]): JobFold => events.reduce(evolveJob, initialJob);

export const jobStream = { initial: initialJob, evolve: evolveJob };

// --- what users ask -----------------------------------------------------------------------------------------

export type JobCommand =
  | { readonly type: 'request'; readonly requested: EventDataOf<'download.requested'>; readonly resolved: EventDataOf<'download.resolved'> }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'cancel' }
  | { readonly type: 'retry' };

export type JobDecisionError =
  | { readonly code: 'NOT_FOUND'; readonly message: string }
  | { readonly code: 'INVALID_STATE'; readonly message: string };

/** Once the file's place is decided the runner links it there in a moment: stopping it then would lie. */
const placing = (state: JobFold): boolean => state.status === 'verifying' && state.route !== null;

/** Pure: what a user's command on a job means, given the job's history. An empty list means it is already so. */
export function decideJob(state: JobFold, command: JobCommand, jobId: string): Result<DomainEvent[], JobDecisionError> {
  if (command.type === 'request') {
    if (state.status !== 'none') return ok([]);
    return ok([
      { type: 'download.requested', data: command.requested },
      { type: 'download.resolved', data: command.resolved },
    ]);
  }
  if (state.status === 'none') return err({ code: 'NOT_FOUND', message: `no download job ${jobId}; see \`comfyui-dl queue\`` });
  const refuse = (what: string, why: string = `it is ${state.status}`): Result<DomainEvent[], JobDecisionError> =>
    err({ code: 'INVALID_STATE', message: `cannot ${what} job ${jobId}: ${why}` });
  const active = STARTABLE.has(state.status) || RUNNING.has(state.status);
  switch (command.type) {
    case 'pause':
      if (state.status === 'paused') return ok([]);
      if (placing(state)) return refuse('pause', 'it is being placed and completes in a moment');
      if (active) return ok([{ type: 'download.paused', data: { reason: 'user', message: null } }]);
      return refuse('pause');
    case 'resume':
      if (state.status === 'paused' || state.status === 'waiting' || state.status === 'failed') return ok([{ type: 'download.resumed', data: {} }]);
      if (active) return ok([]);
      return refuse('resume', state.status === 'cancelled' ? `it is cancelled; \`comfyui-dl retry ${jobId}\` starts it again` : `it is ${state.status}`);
    case 'cancel':
      if (state.status === 'cancelled') return ok([]);
      if (placing(state)) return refuse('cancel', 'it is being placed and completes in a moment');
      if (active || state.status === 'paused' || state.status === 'failed') return ok([{ type: 'download.cancelled', data: {} }]);
      return refuse('cancel');
    case 'retry':
      if (state.status === 'failed' || state.status === 'cancelled' || state.status === 'waiting') return ok([{ type: 'download.retried', data: {} }]);
      if (active || state.status === 'paused') return ok([]);
      return refuse('retry');
  }
}

// --- what the job runner records ------------------------------------------------------------------------------

/** Capped exponential backoff with jitter for automatic retries (ARCHITECTURE.md §8). */
export interface RetrySchedule {
  /** The first retry comes within this long. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** A job failing for this long without any progress gives up. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { firstDelayMs: 5_000, maxDelayMs: 10 * 60_000, giveUpAfterMs: 24 * 3600_000 };

/** The delay before the n-th retry in a row (1-based): in the upper half of min(cap, first·2^(n-1)). */
export function retryDelayMs(retry: number, schedule: RetrySchedule, random: number): number {
  return Math.round(jitteredBackoffMs(retry, schedule.firstDelayMs, schedule.maxDelayMs, 'upper-half', () => random));
}

export type FailureKind = 'transient' | 'permanent';

export type RunnerCommand =
  /** Start (or resume after a crash) an attempt; `now` tells whether a waiting job's time has come. */
  | { readonly type: 'start'; readonly now: string }
  /** Facts about bytes and the remote: recorded in any live state, they never change it. */
  | { readonly type: 'record'; readonly events: readonly DomainEvent[] }
  /** A step that only makes sense while the runner still owns the job (route decided, file placed). */
  | { readonly type: 'advance'; readonly events: readonly DomainEvent[] }
  | { readonly type: 'fail'; readonly code: string; readonly message: string; readonly kind: FailureKind; readonly now: string; readonly random: number; readonly schedule: RetrySchedule }
  | { readonly type: 'pause_for_disk'; readonly message: string };

export type RunnerDecisionError = { readonly code: 'NOT_RUNNABLE'; readonly message: string };

/**
 * Pure: what the runner may record now. When a user paused or cancelled in the meantime the answer is an empty
 * list (or NOT_RUNNABLE for a start), and the runner stops: the user's word is final.
 */
export function decideRunner(state: JobFold, command: RunnerCommand): Result<DomainEvent[], RunnerDecisionError> {
  const owned = RUNNING.has(state.status);
  switch (command.type) {
    case 'start': {
      const due = state.status === 'queued' || owned || (state.status === 'waiting' && (state.nextAttemptAt ?? '') <= command.now);
      if (!due || !state.resolved) return err({ code: 'NOT_RUNNABLE', message: `the job is ${state.status}` });
      return ok([{ type: 'download.attempt_started', data: { attempt: state.attempts + 1 } }]);
    }
    case 'record':
      return ok(state.status === 'none' || state.status === 'cancelled' || state.status === 'completed' ? [] : [...command.events]);
    case 'advance':
      return ok(owned ? [...command.events] : []);
    case 'pause_for_disk':
      return ok(owned ? [{ type: 'download.paused', data: { reason: 'disk_full', message: command.message } }] : []);
    case 'fail': {
      if (!owned) return ok([]);
      const since = state.failingSince ?? command.now;
      const spent = Date.parse(command.now) - Date.parse(since) >= command.schedule.giveUpAfterMs;
      if (command.kind === 'permanent' || spent) {
        const message = spent && command.kind === 'transient'
          ? `${command.message} (gave up after retrying for ${Math.round(command.schedule.giveUpAfterMs / 3600_000)} h)`
          : command.message;
        return ok([{ type: 'download.failed', data: { code: command.code, message, retryable: command.kind === 'transient' } }]);
      }
      const retry = state.failuresInRow + 1;
      const delayMs = retryDelayMs(retry, command.schedule, command.random);
      return ok([{
        type: 'download.retry_scheduled',
        data: {
          retry, code: command.code, message: command.message, delayMs, failingSince: since,
          nextAttemptAt: new Date(Date.parse(command.now) + delayMs).toISOString(),
        },
      }]);
    }
  }
}
