// What a downloaded model file is (a classification from its header, the reason the header is unreadable, or
// 'pickle'), read in a worker thread with a budget. A safetensors header may be 100 MB of JSON written by anyone:
// read on the daemon's main thread, a hostile one stalled every client of the socket for 20 s. In the worker it
// costs that thread only, and past its time budget the thread is ended and the file is reported unreadable.
//
// Memory is bounded by the readers themselves (a header of at most 100 MB, at most MAX_TENSORS tensors), not by
// the worker's resourceLimits: when a worker reaches that heap limit, Node may abort the whole process instead
// of ending the worker, depending on how the memory was allocated (nodejs/node#47224), and the daemon must not
// die of a file it was asked to read.
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { headerError, type HeaderError } from './header-error.js';
import { headerWorkerUrl } from './header-worker-url.js';
import type { Inspection } from './inspect-file.js';

export type { Inspection } from './inspect-file.js';

export interface HeaderBudget {
  /** How long one file's header may take to read and classify. */
  readonly timeoutMs: number;
}

/** Real headers take milliseconds; the worst 100 MB header within the readers' limits about 2 s. */
export const HEADER_BUDGET: HeaderBudget = { timeoutMs: 15_000 };

export interface HeaderInspector {
  inspect(path: string, fileName?: string): Promise<Inspection>;
  /** Ends the worker; later calls start a new one. */
  close(): Promise<void>;
}

interface Job {
  readonly id: number;
  readonly path: string;
  readonly fileName: string;
  readonly resolve: (result: Inspection) => void;
}

/** One worker, one file at a time (headers are small work); started on demand, not keeping the process alive when idle. */
export function createHeaderInspector(budget: HeaderBudget = HEADER_BUDGET): HeaderInspector {
  const queue: Job[] = [];
  let worker: Worker | undefined;
  let current: Job | undefined;
  let timer: NodeJS.Timeout | undefined;
  let nextId = 1;

  const over = (what: string): HeaderError =>
    headerError('HEADER_BUDGET_EXCEEDED', `Reading the header ${what}: no real model header comes close, so it is treated as unreadable.`);

  const finish = (result: Inspection): void => {
    clearTimeout(timer);
    const job = current;
    current = undefined;
    worker?.unref();
    job?.resolve(result);
    next();
  };

  /** Drops a worker that timed out or died; the next job starts a fresh one. */
  const discard = (w: Worker): void => {
    if (worker === w) worker = undefined;
    void w.terminate();
  };

  const start = (): Worker => {
    // No inherited Node flags: the reader needs none, and some (--input-type) are refused in a worker.
    const w = new Worker(headerWorkerUrl(), { execArgv: [] });
    w.on('message', (reply: { ready: true } | { id: number; result: Inspection }) => {
      if ('ready' in reply) w.emit('ready');
      else if (worker === w && current?.id === reply.id) finish(reply.result);
    });
    w.on('error', (e: Error) => {
      if (worker !== w) return;
      discard(w);
      finish(headerError('READ_FAILED', `The header reader failed: ${e.message}.`));
    });
    w.on('exit', () => {
      if (worker !== w) return;
      worker = undefined;
      if (current) finish(headerError('READ_FAILED', 'The header reader stopped unexpectedly.'));
    });
    return w;
  };

  const next = (): void => {
    if (current !== undefined) return;
    const job = queue.shift();
    if (job === undefined) return;
    current = job;
    const fresh = worker === undefined;
    const w = (worker ??= start());
    // Referenced while it works, so a caller awaiting the answer is not left by an exiting process.
    w.ref();
    // The budget is the reading's: a fresh thread's start-up does not count against it.
    const startClock = (): void => {
      if (current !== job) return;
      timer = setTimeout(() => {
        discard(w);
        finish(over(`took over ${budget.timeoutMs / 1000} s`));
      }, budget.timeoutMs);
    };
    if (fresh) w.once('ready', startClock);
    else startClock();
    w.postMessage({ id: job.id, path: job.path, fileName: job.fileName });
  };

  return {
    inspect: (path, fileName = basename(path)) =>
      new Promise((resolve) => {
        queue.push({ id: nextId++, path, fileName, resolve });
        next();
      }),
    close: async () => {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}

let shared: HeaderInspector | undefined;

/** `fileName` is the model's real name when `path` is a staging file (`<job>.part`): pickles are told by extension. */
export function inspectModelFile(path: string, fileName: string = basename(path)): Promise<Inspection> {
  return (shared ??= createHeaderInspector()).inspect(path, fileName);
}
