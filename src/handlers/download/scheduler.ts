import type { Subscription } from 'rxjs';
import type { OpenedDatabase } from '../../store/database.js';
import type { EventStore } from '../../store/event-store.js';
import { all } from '../../store/query.js';
import type { Log } from '../../daemon/log.js';

export interface Scheduler {
  /** Aborts running transfers (their durable progress is already in the log) and waits for them to stop. */
  stop(): Promise<void>;
  /** Resolves once no job is running or waiting: for tests and the demo. */
  idle(): Promise<void>;
}

const RUNNABLE = ['queued', 'resolving', 'downloading', 'verifying'] as const;

/**
 * Starts jobs in the order they were added, up to the concurrency, whenever the log says something changed.
 * Jobs that were running when the daemon died are in a runnable state in the queue view, so they simply start
 * again and resume from their last durable chunk.
 */
export function startScheduler(deps: {
  store: EventStore;
  db: OpenedDatabase;
  concurrency: () => number;
  run: (jobId: string, signal: AbortSignal) => Promise<void>;
  log: Log;
}): Scheduler {
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const runnableJobs = () =>
    all(deps.db.sqlite, deps.db.kysely.selectFrom('view_jobs').select(['id', 'state']).where('state', 'in', [...RUNNABLE, 'paused', 'cancelled']).orderBy('seq'));

  const schedule = (): void => {
    if (stopped) return;
    const jobs = runnableJobs();
    // Pause and cancel are events; the transfer learns of them through its signal.
    for (const job of jobs) {
      if ((job.state === 'paused' || job.state === 'cancelled') && running.has(job.id)) running.get(job.id)!.controller.abort();
    }
    for (const job of jobs) {
      if (running.size >= deps.concurrency()) break;
      if (!(RUNNABLE as readonly string[]).includes(job.state) || running.has(job.id)) continue;
      const controller = new AbortController();
      const done = deps
        .run(job.id, controller.signal)
        .catch((e: Error) => deps.log(`job ${job.id}: stopped by a bug: ${e.stack ?? e.message}`))
        .finally(() => {
          running.delete(job.id);
          setImmediate(schedule);
        });
      running.set(job.id, { controller, done });
    }
    if (running.size === 0 && !jobs.some((j) => (RUNNABLE as readonly string[]).includes(j.state))) {
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((w) => w());
    }
  };

  const relevant = (type: string) => type.startsWith('download.') && type !== 'download.chunk_written' && type !== 'download.validator_seen';
  const sub: Subscription = deps.store.commits$.subscribe((batch) => {
    if (batch.some((e) => relevant(e.type) || e.type === 'settings.changed')) setImmediate(schedule);
  });
  setImmediate(schedule);

  return {
    stop: async () => {
      stopped = true;
      sub.unsubscribe();
      for (const r of running.values()) r.controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
    },
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      setImmediate(schedule);
    }),
  };
}
