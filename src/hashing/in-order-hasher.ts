import type { Worker } from 'node:worker_threads';
import { ContiguousFrontier } from './contiguous-frontier.js';
import { replyToResult } from './hash-pool.js';
import { startSha256Worker } from './worker-script.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

/**
 * SHA-256 of a file that is written out of order (several segments at once). The writer reports each range
 * once its write has completed; a thread reads the file back (from the page cache, cheaply) and hashes the
 * contiguous prefix as it grows, so that only the tail is left to hash when the last byte lands.
 *
 * A SHA-256 midstate cannot be saved with node:crypto, so after a crash the hash starts again from byte 0:
 * report the ranges already on disk first and they are read back once.
 */
export interface InOrderHasher {
  /** Bytes [start, end) of the file are written (the write has completed). */
  markWritten(start: number, end: number): void;
  /** The file starts over from zero (the remote file changed): forget everything hashed so far. */
  reset(): void;
  /** End of the written prefix [0, frontier). */
  readonly frontier: number;
  /** Hashes the rest up to `totalBytes` (all of which must be written) and returns lowercase hex. */
  digest(totalBytes: number): Promise<string>;
  /** Ends the thread; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Threads kept for the next file: starting one costs about a tenth of a CPU second, as much as downloading and
 * hashing a 16 MB file, so a queue of small files would spend more starting threads than hashing.
 */
const spare: Worker[] = [];
const MAX_SPARE = 4;

function takeWorker(): Worker {
  const worker = spare.pop();
  if (worker === undefined) return startSha256Worker();
  worker.removeAllListeners('exit');
  worker.ref();
  return worker;
}

/** Keeps a thread that is done with its file for the next one (unreferenced, so it never holds the process). */
async function releaseWorker(worker: Worker): Promise<void> {
  if (spare.length >= MAX_SPARE) {
    await worker.terminate();
    return;
  }
  worker.postMessage({ op: 'untrack' } satisfies WorkerRequest);
  worker.unref();
  worker.once('exit', () => {
    const at = spare.indexOf(worker);
    if (at >= 0) spare.splice(at, 1);
  });
  spare.push(worker);
}

export function createInOrderHasher(path: string): InOrderHasher {
  const worker: Worker = takeWorker();
  const frontier = new ContiguousFrontier();
  let failure: Error | undefined;
  let pending: ((reply: WorkerReply | Error) => void) | undefined;
  let closed = false;

  const onMessage = (reply: WorkerReply): void => pending?.(reply);
  const onError = (error: Error): void => {
    failure = error;
    pending?.(error);
  };
  const onExit = (): void => {
    if (!closed) pending?.(new Error('the hashing thread stopped before answering'));
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);

  const send = (request: WorkerRequest): void => worker.postMessage(request);
  send({ op: 'track', path });

  return {
    markWritten(start, end) {
      const before = frontier.value;
      // Only a grown prefix is worth a message: hashing is strictly in order anyway.
      if (frontier.add(start, end) > before) send({ op: 'advance', to: frontier.value });
    },
    reset() {
      frontier.reset();
      send({ op: 'reset' });
    },
    get frontier() {
      return frontier.value;
    },
    digest(totalBytes) {
      if (failure !== undefined) return Promise.reject(failure);
      if (frontier.value < totalBytes) {
        throw new Error(`digest asked at ${totalBytes} bytes but only [0, ${frontier.value}) is written`);
      }
      return new Promise<string>((resolve, reject) => {
        pending = (reply) => {
          pending = undefined;
          if (reply instanceof Error) return reject(reply);
          const result = replyToResult(reply);
          if ('hex' in result) resolve(result.hex);
          else reject(result.error);
        };
        send({ op: 'digest', to: totalBytes });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      // A thread that failed, or still owes an answer, is not trusted with another file.
      if (failure !== undefined || pending !== undefined) await worker.terminate();
      else await releaseWorker(worker);
    },
  };
}
