import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startSha256Worker } from './worker-script.js';
import type { WorkerReply } from './worker-protocol.js';

export interface HashFileOptions {
  signal?: AbortSignal;
}

export interface HashPool {
  /** SHA-256 of the whole file as lowercase hex. Rejects with the signal's reason when aborted. */
  hashFile(path: string, options?: HashFileOptions): Promise<string>;
  /** Stops every thread; jobs still queued or running reject. */
  close(): Promise<void>;
}

interface Job {
  path: string;
  signal: AbortSignal | undefined;
  resolve: (hex: string) => void;
  reject: (error: unknown) => void;
}

/** Turns a worker's failure reply into an Error that keeps the errno-like code (ENOENT, EACCES, ...). */
export function replyToResult(reply: WorkerReply): { hex: string } | { error: Error } {
  if (reply.op === 'digest') return { hex: reply.hex };
  return { error: Object.assign(new Error(reply.message), { code: reply.code }) };
}

/**
 * A few hashing threads shared by whoever needs whole-file hashes (startup scan, re-verification).
 * Bounded so that a scan of a large models folder does not starve the downloads of CPU.
 */
export function createHashPool(options: { size: number }): HashPool {
  const size = Math.max(1, Math.floor(options.size));
  const idle: Worker[] = [];
  const queue: Job[] = [];
  /** Each running job's way to stop it: settles the job with `error` and ends its thread. */
  const running = new Set<(error: unknown) => void>();
  let closed = false;

  function take(): Worker {
    const worker = idle.pop() ?? startSha256Worker();
    worker.ref();
    return worker;
  }

  function release(worker: Worker): void {
    // Idle threads must not keep the process alive.
    worker.unref();
    idle.push(worker);
  }

  function run(job: Job): void {
    if (job.signal?.aborted) {
      job.reject(job.signal.reason);
      return;
    }
    const worker = take();
    const settle = (healthy: boolean): void => {
      running.delete(stop);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      job.signal?.removeEventListener('abort', onAbort);
      if (healthy && !closed) release(worker);
      else void worker.terminate();
      pump();
    };
    const onMessage = (reply: WorkerReply): void => {
      settle(true);
      const result = replyToResult(reply);
      if ('hex' in result) job.resolve(result.hex);
      else job.reject(result.error);
    };
    const onError = (error: Error): void => stop(error);
    const onExit = (): void => stop(new Error('the hashing thread stopped before answering'));
    const stop = (error: unknown): void => {
      settle(false);
      job.reject(error);
    };
    // A thread busy in a read loop cannot be interrupted politely; ending it is immediate and safe.
    const onAbort = (): void => stop(job.signal?.reason);
    running.add(stop);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    job.signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage({ op: 'hash-file', path: job.path });
  }

  function pump(): void {
    while (!closed && queue.length > 0 && running.size < size) {
      const job = queue.shift();
      if (job !== undefined) run(job);
    }
  }

  return {
    hashFile(path, { signal } = {}) {
      if (closed) return Promise.reject(new Error('the hash pool is closed'));
      return new Promise<string>((resolve, reject) => {
        queue.push({ path, signal, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the hash pool closed'));
      for (const stop of [...running]) stop(new Error('the hash pool closed'));
      await Promise.all(idle.splice(0).map((worker) => worker.terminate()));
    },
  };
}

let shared: HashPool | undefined;

/** SHA-256 (lowercase hex) of a file, computed off the main thread by a shared pool of at most two threads. */
export function hashFile(path: string, options: HashFileOptions = {}): Promise<string> {
  shared ??= createHashPool({ size: Math.min(2, availableParallelism()) });
  return shared.hashFile(path, options);
}
