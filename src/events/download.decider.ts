import { err, ok, type Result } from 'neverthrow';
import type { DomainEvent, EventDataOf } from './index.js';

export type JobStatus = 'none' | 'resolving' | 'queued' | 'running' | 'verifying' | 'paused' | 'completed' | 'failed' | 'cancelled';

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
  readonly resolved: EventDataOf<'download.resolved'> | null;
  readonly plan: TransferPlan | null;
  readonly transferredSha256: string | null;
  readonly verified: boolean;
  readonly route: EventDataOf<'routing.decided'> | null;
}

export const initialJob: JobFold = {
  status: 'none', attempts: 0, resolved: null, plan: null, transferredSha256: null, verified: false, route: null,
};

export function evolveJob(state: JobFold, event: DomainEvent): JobFold {
  switch (event.type) {
    case 'download.requested':
      return { ...state, status: 'resolving' };
    case 'download.resolved':
      return { ...state, status: 'queued', resolved: event.data };
    case 'download.attempt_started':
      return { ...state, status: 'running', attempts: event.data.attempt };
    case 'download.transfer_planned':
      return {
        ...state,
        plan: {
          totalBytes: event.data.totalBytes, etag: event.data.etag, lastModified: event.data.lastModified,
          partName: event.data.partName, segments: event.data.segments.map((s) => ({ ...s, done: 0 })),
        },
      };
    case 'download.validator_seen':
      return state.plan ? { ...state, plan: { ...state.plan, etag: event.data.etag, lastModified: event.data.lastModified } } : state;
    case 'download.chunk_written': {
      const plan = state.plan;
      if (!plan) return state;
      const { segment, offset, length } = event.data;
      return {
        ...state,
        plan: {
          ...plan,
          segments: plan.segments.map((s) => (s.index === segment ? { ...s, done: Math.max(s.done, offset + length - s.start) } : s)),
        },
      };
    }
    case 'download.transfer_restarted':
      return { ...state, plan: null, transferredSha256: null };
    case 'download.transfer_completed':
      return { ...state, status: 'verifying', transferredSha256: event.data.sha256 };
    case 'download.hash_verified':
      return { ...state, verified: true };
    case 'download.hash_mismatched':
      return { ...state, status: 'failed', plan: null, transferredSha256: null, verified: false };
    case 'routing.decided':
      return { ...state, route: event.data };
    case 'download.placed':
      return { ...state, status: 'completed' };
    case 'download.paused':
      return { ...state, status: 'paused' };
    case 'download.resumed':
    case 'download.retried':
      return { ...state, status: 'queued' };
    case 'download.cancelled':
      return { ...state, status: 'cancelled', plan: null, transferredSha256: null };
    case 'download.failed':
      return { ...state, status: 'failed' };
    default:
      return state;
  }
}

export type JobCommand =
  | { readonly type: 'request'; readonly requested: EventDataOf<'download.requested'>; readonly resolved: EventDataOf<'download.resolved'> }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'cancel' }
  | { readonly type: 'retry' };

export type JobDecisionError =
  | { readonly code: 'NOT_FOUND'; readonly message: string }
  | { readonly code: 'INVALID_STATE'; readonly message: string };

const ACTIVE: readonly JobStatus[] = ['resolving', 'queued', 'running', 'verifying'];

/** Pure: what a command on a job means, given the job's history. An empty list means it is already so. */
export function decideJob(state: JobFold, command: JobCommand, jobId: string): Result<DomainEvent[], JobDecisionError> {
  if (command.type === 'request') {
    if (state.status !== 'none') return ok([]);
    return ok([
      { type: 'download.requested', data: command.requested },
      { type: 'download.resolved', data: command.resolved },
    ]);
  }
  if (state.status === 'none') return err({ code: 'NOT_FOUND', message: `no download job ${jobId}; see \`comfyui-dl queue\`` });
  const refuse = (what: string): Result<DomainEvent[], JobDecisionError> =>
    err({ code: 'INVALID_STATE', message: `cannot ${what} job ${jobId}: it is ${state.status}` });
  switch (command.type) {
    case 'pause':
      if (state.status === 'paused') return ok([]);
      if (ACTIVE.includes(state.status)) return ok([{ type: 'download.paused', data: { reason: 'user', message: null } }]);
      return refuse('pause');
    case 'resume':
      if (state.status === 'paused') return ok([{ type: 'download.resumed', data: {} }]);
      if (ACTIVE.includes(state.status)) return ok([]);
      return refuse(`resume (use \`comfyui-dl retry ${jobId}\` for a failed or cancelled job)`);
    case 'cancel':
      if (state.status === 'cancelled') return ok([]);
      if (ACTIVE.includes(state.status) || state.status === 'paused' || state.status === 'failed') {
        return ok([{ type: 'download.cancelled', data: {} }]);
      }
      return refuse('cancel');
    case 'retry':
      if (state.status === 'failed' || state.status === 'cancelled') return ok([{ type: 'download.retried', data: {} }]);
      if (ACTIVE.includes(state.status) || state.status === 'paused') return ok([]);
      return refuse('retry');
  }
}

export const foldJob = (events: readonly DomainEvent[]): JobFold => events.reduce(evolveJob, initialJob);
