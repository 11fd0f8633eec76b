// What a Downloads row shows, derived from the job's JSON (pushed by the daemon after each change) and the live
// progress frames of its transfer. Pure, so every state of the job lifecycle is pinned down by tests.
import type { JobJson } from '../../../src/ipc/protocol.js';
import { formatBytes, formatEta, formatRate, fraction } from './format.js';
import type { JobState } from './jobs.js';
import { forTheApp } from './messages.js';
import { etaSeconds } from './speed.js';

export interface LiveProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number | null;
  /** Bytes per second over the last seconds, or null until it can be told. */
  readonly speed: number | null;
  /** When the last frame came (ms, Date.now()). */
  readonly at: number;
}

export type RowAction = 'pause' | 'resume' | 'cancel' | 'retry';
export type RowTone = 'accent' | 'blue' | 'amber' | 'red' | 'green' | 'muted';

export interface RowView {
  /** The state the row shows: the job's own, or `downloading` once bytes flow ahead of the job's next change. */
  readonly state: JobState;
  readonly label: string;
  readonly tone: RowTone;
  /** 0..1, null for "unknown" (an indeterminate bar), undefined for no bar. */
  readonly bar: number | null | undefined;
  /** Whether an indeterminate bar moves: it does not while nothing is known to happen. */
  readonly moving: boolean;
  readonly amounts: string | null;
  readonly speed: string | null;
  readonly eta: string | null;
  readonly note: { readonly tone: 'warn' | 'error' | 'muted'; readonly text: string } | null;
  readonly actions: readonly { readonly action: RowAction; readonly label: string }[];
  /** The daemon is offline: what the row shows is the last known state. */
  readonly stale: boolean;
}

/** Progress older than this says nothing about the speed now. */
export const STALE_PROGRESS_MS = 5000;

const TRANSFER_STATES: ReadonlySet<JobState> = new Set(['queued', 'resolving', 'downloading']);

const PAUSE = { action: 'pause', label: 'Pause' } as const;
const RESUME = { action: 'resume', label: 'Resume' } as const;
const CANCEL = { action: 'cancel', label: 'Cancel' } as const;

function amounts(done: number, total: number | null): string {
  return total === null ? formatBytes(done) : `${formatBytes(done)} of ${formatBytes(total)}`;
}

function countdown(nextAttemptAt: string | null, now: number): string {
  const at = nextAttemptAt === null ? NaN : Date.parse(nextAttemptAt);
  if (Number.isNaN(at)) return 'Waiting to retry';
  const seconds = (at - now) / 1000;
  return seconds <= 0.5 ? 'Retrying now' : `Retrying in ${formatEta(seconds)}`;
}

export function rowView(job: JobJson, progress: LiveProgress | undefined, ctx: { readonly now: number; readonly online: boolean }): RowView {
  // Progress frames mean a transfer is running now, whatever the job's last change said (a resumed job is
  // `resolving` until its first durable chunk, but its bytes flow before that).
  const flowing = progress !== undefined && TRANSFER_STATES.has(job.state);
  const state: JobState = flowing ? 'downloading' : job.state;
  const done = flowing ? progress.bytesDone : job.bytesDone;
  const total = (flowing ? progress.bytesTotal : null) ?? job.bytesTotal;
  const fresh = flowing && ctx.online && ctx.now - progress.at <= STALE_PROGRESS_MS;
  const speed = fresh ? progress.speed : null;
  const base = {
    state, bar: undefined, moving: false, amounts: null, speed: null, eta: null, note: null, actions: [], stale: !ctx.online,
  } satisfies Partial<RowView>;
  const error = job.error === null ? null : forTheApp(job.error);

  switch (state) {
    case 'queued':
      return {
        ...base, label: 'Queued', tone: 'muted', bar: fraction(done, total) ?? 0, amounts: done > 0 ? amounts(done, total) : null,
        note: done > 0 ? { tone: 'muted', text: 'Goes on from where it stopped when its turn comes.' } : null, actions: [PAUSE, CANCEL],
      };
    case 'resolving':
      return {
        ...base, label: done > 0 ? 'Resuming' : 'Starting', tone: 'blue', bar: done > 0 ? fraction(done, total) : null,
        moving: ctx.online, amounts: done > 0 ? amounts(done, total) : null, actions: [PAUSE, CANCEL],
      };
    case 'downloading':
      return {
        ...base, label: 'Downloading', tone: 'accent', bar: fraction(done, total), amounts: amounts(done, total),
        speed: speed === null ? null : formatRate(speed),
        eta: speed === null ? null : formatEta(etaSeconds(done, total, speed)) || null,
        actions: [PAUSE, CANCEL],
      };
    case 'verifying':
      return { ...base, label: 'Verifying', tone: 'blue', bar: null, moving: ctx.online, amounts: formatBytes(total), note: { tone: 'muted', text: 'Checking the SHA-256 and placing the file.' }, actions: [CANCEL] };
    case 'waiting':
      return {
        ...base, label: countdown(job.nextAttemptAt, ctx.now), tone: 'amber', bar: fraction(done, total) ?? 0, amounts: done > 0 ? amounts(done, total) : null,
        note: { tone: 'warn', text: [error, job.attempts > 0 ? `Attempt ${job.attempts} did not finish; it tries again by itself.` : null].filter(Boolean).join(' ') },
        actions: [{ action: 'resume', label: 'Retry now' }, CANCEL],
      };
    case 'paused': {
      const diskFull = job.pausedReason === 'disk_full';
      return {
        ...base, label: diskFull ? 'Paused: disk full' : 'Paused', tone: 'amber', bar: fraction(done, total) ?? 0, amounts: amounts(done, total),
        note: diskFull ? { tone: 'warn', text: error ?? 'The disk is full: free some space, then press Resume.' } : null,
        actions: [RESUME, CANCEL],
      };
    }
    case 'completed':
      return { ...base, label: 'Completed', tone: 'green', actions: [] };
    case 'failed':
      return { ...base, label: 'Failed', tone: 'red', note: error === null ? null : { tone: 'error', text: error }, actions: [{ action: 'retry', label: 'Retry' }] };
    case 'cancelled':
      return { ...base, label: 'Cancelled', tone: 'muted', actions: [{ action: 'retry', label: 'Download again' }] };
  }
}
