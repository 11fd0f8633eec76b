import type { Subscription } from 'rxjs';
import type { Log } from '../../lib/log.js';
import type { EventStore } from '../../store/event-store.js';
import type { RunOutcome } from './job-runner.js';

export interface Scheduler {
  /** Aborts running transfers (their durable progress is already in the log) and waits for them to stop. */
  stop(): Promise<void>;
  /** Resolves once no job is running and none may start now (waiting ones wait for their time): for tests and the demo. */
  idle(): Promise<void>;
  /** Why jobs are held back, when the log cannot be written; null when all is well. */
  storageProblem(): string | null;
}

export interface SchedulableJob {
  readonly id: string;
  readonly state: string;
  readonly next_attempt_at: string | null;
}

export interface SchedulerDeps {
  /** Jobs that may run, oldest first: queued, waiting, and those a crash left running. */
  readonly schedulable: () => Promise<readonly SchedulableJob[]>;
  readonly store: EventStore;
  readonly concurrency: () => Promise<number>;
  /**
   * Start up to twice `concurrency` jobs: the runs themselves hold a transfer slot only while they move bytes
   * (see slots.ts), so the others resolve and probe the next files, or verify and place finished ones, meanwhile.
   */
  readonly runAhead?: boolean;
  readonly run: (jobId: string, signal: AbortSignal) => Promise<RunOutcome>;
  readonly log: Log;
  readonly now?: () => number;
  /** Backoff while the log cannot be written (disk full, database locked). */
  readonly storageBackoffMs?: { readonly first: number; readonly max: number };
}

/** A bug in a job's run holds that job back this long, doubling: a crash loop must not burn a core. */
const BUG_COOLDOWN_MS = { first: 5_000, max: 10 * 60_000 };
// setTimeout takes at most a signed 32-bit count of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts jobs in the order they were added, up to the concurrency, whenever the log says something changed and
 * when a waiting job's time comes. A user's pause or cancel aborts the job's run at once. Jobs that were running
 * when the daemon died are still in a running state in the queue view, so they simply start again and resume
 * from their last durable chunk. Nothing here loops: a job that cannot run is not looked at until something
 * changes, and a log that cannot be written is tried again after a growing pause, said once.
 */
export function startScheduler(deps: SchedulerDeps): Scheduler {
  const now = deps.now ?? Date.now;
  const storageBackoff = deps.storageBackoffMs ?? { first: 1_000, max: 60_000 };
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const cooldown = new Map<string, { until: number; delayMs: number }>();
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  let blocked: { until: number; delayMs: number; message: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let passing = false;
  let again = false;

  const wakeAt = (at: number): void => {
    clearTimeout(timer);
    timer = setTimeout(schedule, Math.min(MAX_TIMER_MS, Math.max(0, at - now())));
  };

  const settle = (jobId: string, outcome: RunOutcome): void => {
    if (outcome.kind === 'storage') {
      const delayMs = blocked ? Math.min(storageBackoff.max, blocked.delayMs * 2) : storageBackoff.first;
      if (blocked?.message !== outcome.error.message) {
        deps.log(`cannot write the event log (${outcome.error.message}); downloads are held and start again by themselves once it can be written (free space in the data folder if it is full)`);
      }
      blocked = { until: now() + delayMs, delayMs, message: outcome.error.message };
      return;
    }
    if (blocked) deps.log('the event log can be written again; downloads go on');
    blocked = undefined;
    cooldown.delete(jobId);
  };

  const start = (jobId: string): void => {
    const controller = new AbortController();
    const done = deps
      .run(jobId, controller.signal)
      .then((outcome) => settle(jobId, outcome))
      .catch((e: Error) => {
        const previous = cooldown.get(jobId);
        const delayMs = previous ? Math.min(BUG_COOLDOWN_MS.max, previous.delayMs * 2) : BUG_COOLDOWN_MS.first;
        cooldown.set(jobId, { until: now() + delayMs, delayMs });
        deps.log(`job ${jobId}: stopped by a bug, held back for ${Math.round(delayMs / 1000)} s: ${e.stack ?? e.message}`);
      })
      .finally(() => {
        running.delete(jobId);
        schedule();
      });
    running.set(jobId, { controller, done });
  };

  async function pass(): Promise<void> {
    if (blocked && blocked.until > now()) return wakeAt(blocked.until);
    const [jobs, concurrency] = await Promise.all([deps.schedulable(), deps.concurrency()]);
    const limit = deps.runAhead === true ? 2 * concurrency : concurrency;
    if (stopped) return;
    const nowMs = now();
    let wake = Infinity;
    let startable = false;
    for (const job of jobs) {
      if (running.has(job.id)) continue;
      const dueAt = Math.max(job.state === 'waiting' && job.next_attempt_at ? Date.parse(job.next_attempt_at) : 0, cooldown.get(job.id)?.until ?? 0);
      if (dueAt > nowMs) {
        wake = Math.min(wake, dueAt);
        continue;
      }
      startable = true;
      if (running.size < limit) start(job.id);
    }
    if (wake !== Infinity) wakeAt(wake);
    if (running.size === 0 && !startable) {
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  function schedule(): void {
    if (stopped) return;
    if (passing) {
      again = true;
      return;
    }
    passing = true;
    void pass()
      .catch((e: Error) => deps.log(`scheduler: cannot read the queue: ${e.message}`))
      .finally(() => {
        passing = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  const PROGRESS = new Set(['download.chunk_written', 'download.segment_split', 'download.validator_seen', 'download.connection_retried']);
  const relevant = (type: string): boolean => (type.startsWith('download.') && !PROGRESS.has(type)) || type === 'settings.changed';
  const sub: Subscription = deps.store.commits$.subscribe((batch) => {
    let changed = false;
    for (const e of batch) {
      // The user's word takes effect at once: the run stops at its next durable point.
      if (e.type === 'download.paused' || e.type === 'download.cancelled') running.get(e.streamId.slice('download-'.length))?.controller.abort();
      changed ||= relevant(e.type);
    }
    if (changed) setImmediate(schedule);
  });
  setImmediate(schedule);

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      sub.unsubscribe();
      for (const r of running.values()) r.controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
    },
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      setImmediate(schedule);
    }),
    storageProblem: () => blocked?.message ?? null,
  };
}
