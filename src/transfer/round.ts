import { setTimeout as sleep } from 'node:timers/promises';
import { fetchRange, type AttemptEnv, type Failure, type RestartCause } from './attempt.js';
import { DurableLedger, type DurableChunk } from './durable-ledger.js';
import { DurableSync } from './durable-sync.js';
import { describeHost, network, stalled, httpStatus, type TransferError } from './errors.js';
import type { InOrderHasher } from '../hashing/index.js';
import type { TransferOptions, Validator } from './options.js';
import type { PartFile } from './part-file.js';
import { backoffDelayMs } from './retry.js';
import type { Segment } from './segments.js';
import type { UrlSource } from './url-source.js';

// Write buffers queued across all connections (of writeBytes each, 4 MiB by default): enough for a lone
// connection to keep receiving through a slow write or an fdatasync, few enough to keep memory small.
const WRITE_BUFFERS = 8;

/** How one layout of segments ended. */
export type RoundEnd<E> =
  | { kind: 'complete' }
  | { kind: 'restart'; reason: string; cause: RestartCause; validator: Validator; host: string }
  | { kind: 'failed'; error: TransferError | E }
  | { kind: 'aborted' };

/** What stays the same across rounds of one transfer. */
export interface RoundEnv<E> {
  options: TransferOptions;
  part: PartFile;
  hasher: InOrderHasher;
  urls: UrlSource<E>;
  /** The caller's pause/cancel signal. */
  signal: AbortSignal;
  onDurable: (chunk: DurableChunk) => void;
  /** A connection failed (or stalled) and is tried again after `delayMs`. */
  onRetry: (retry: SegmentRetry) => void;
  attempt: Omit<AttemptEnv, 'stopSignal' | 'acceptsWholeBody' | 'write' | 'writesInFlight'>;
}

export interface Round<E> {
  readonly ledger: DurableLedger;
  readonly sync: DurableSync;
  readonly segments: readonly Segment[];
  readonly ended: Promise<RoundEnd<E>>;
}

export interface SegmentRetry {
  readonly segment: number;
  readonly failure: Failure['type'];
  readonly detail: string;
  readonly delayMs: number;
}

function describeFailure(failure: Failure): string {
  switch (failure.type) {
    case 'network':
    case 'stall':
      return failure.detail;
    case 'status':
      return failure.error.message;
    case 'expired':
      return `the storage host answered ${failure.status} to the signed URL`;
  }
}

function giveUp(failure: Failure, host: string, attempts: number, refreshed: boolean): TransferError {
  switch (failure.type) {
    case 'network':
      return network(host, failure.detail, attempts);
    case 'stall':
      return stalled(host, failure.detail, attempts);
    case 'status':
      return failure.error;
    case 'expired':
      return httpStatus(failure.status, refreshed ? `${host} (refusing the download URL even after it was refreshed)` : host, false);
  }
}

/** Fetches every unfinished segment of one layout over at most `concurrency` connections. */
export function startRound<E>(env: RoundEnv<E>, segments: readonly Segment[], concurrency: number): Round<E> {
  const { options } = env;
  const ledger = new DurableLedger(segments, options.durableEvery, Date.now());
  const stop = new AbortController();
  let end: RoundEnd<E> | undefined;
  const finish = (reason: RoundEnd<E>): void => {
    end ??= reason;
    stop.abort();
  };
  const sync = new DurableSync(env.part, ledger, options.durableEvery.ms, env.onDurable, (error) => finish({ kind: 'failed', error }));
  const onAbort = (): void => finish({ kind: 'aborted' });
  if (env.signal.aborted) onAbort();
  else env.signal.addEventListener('abort', onAbort, { once: true });

  const lone = segments.length === 1;
  const attemptEnv: AttemptEnv = {
    ...env.attempt,
    stopSignal: stop.signal,
    writesInFlight: Math.max(1, Math.floor(WRITE_BUFFERS / concurrency)),
    acceptsWholeBody: (range) => lone && range.start === 0 && range.end === options.totalBytes,
    write: async (segment, buffer, position) => {
      const written = await env.part.write(buffer, position);
      if (written.isOk()) {
        const end = position + buffer.length;
        ledger.noteWritten(segment, end);
        env.hasher.markWritten(position, end);
        sync.poke();
      }
      return written;
    },
  };

  async function runSegment(segment: Segment): Promise<void> {
    let failures = 0;
    while (ledger.written(segment.index) < segment.end && !stop.signal.aborted) {
      const resolved = await env.urls.get();
      if (resolved.isErr()) return finish({ kind: 'failed', error: resolved.error });
      if (stop.signal.aborted) return;
      const { url } = resolved.value;
      const from = ledger.written(segment.index);
      const outcome = await fetchRange(attemptEnv, url, { segment: segment.index, start: from, end: segment.end });
      switch (outcome.kind) {
        case 'complete':
        case 'stopped':
          continue;
        case 'fatal':
          return finish({ kind: 'failed', error: outcome.error });
        case 'restart':
          return finish(outcome);
        case 'interrupted': {
          // Any progress renews the budget: only attempts that got nothing count against it.
          failures = ledger.written(segment.index) > from ? 1 : failures + 1;
          const { failure } = outcome;
          if (failures >= options.retry.maxAttempts) {
            return finish({ kind: 'failed', error: giveUp(failure, describeHost(url), failures, env.urls.refreshes > 0) });
          }
          if (failure.type === 'expired') {
            await env.urls.invalidate(url, describeFailure(failure));
            if (failures === 1) continue;
          }
          const retryAfter = failure.type === 'status' ? (failure.retryAfterMs ?? 0) : 0;
          const delay = Math.round(Math.max(backoffDelayMs(failures, options.retry), retryAfter));
          env.onRetry({ segment: segment.index, failure: failure.type, detail: describeFailure(failure), delayMs: delay });
          await sleep(delay, undefined, { signal: stop.signal }).catch(() => undefined);
        }
      }
    }
  }

  async function run(): Promise<RoundEnd<E>> {
    const queue = segments.filter((s) => s.done < s.end - s.start).sort((a, b) => a.start - b.start);
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined && !stop.signal.aborted; next = queue.shift()) {
        await runSegment(next);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    env.signal.removeEventListener('abort', onAbort);
    if (end?.kind === 'restart' || end?.kind === 'aborted') {
      // Restart: the bytes on disk are about to be thrown away. Paused or cancelled: the sync under way is the
      // last report (at most one chunk per segment lands after the stop); the unreported tail, under a second's
      // worth, is fetched again on resume.
      await sync.close();
      return end;
    }
    // Complete or failed: what was written is valid and worth reporting before returning.
    const flushed = await sync.flushAll();
    if (flushed !== undefined && end === undefined) return { kind: 'failed', error: flushed };
    return end ?? { kind: 'complete' };
  }

  return { ledger, sync, segments, ended: run() };
}
