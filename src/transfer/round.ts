import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchRange, type AttemptEnv, type Failure, type RestartCause } from './attempt.js';
import { DurableLedger, type DurableChunk } from './durable-ledger.js';
import { DurableSync } from './durable-sync.js';
import { describeHost, network, stalled, httpStatus, type TransferError } from './errors.js';
import type { InOrderHasher } from '../hashing/index.js';
import type { TransferOptions, Validator } from './options.js';
import type { PartFile } from './part-file.js';
import { backoffDelayMs } from './retry.js';
import { chooseSplit, type Segment } from './segments.js';
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
  /** A free connection took over the second half of a segment (work stealing). */
  onSplit: (split: SegmentSplit) => void;
  /** The number of connections at work changed. */
  onConnections: (open: number) => void;
  connections: ConnectionControl;
  attempt: Omit<AttemptEnv, 'stopSignal' | 'acceptsWholeBody' | 'write' | 'writesInFlight' | 'onBytesReceived' | 'segmentEnd'> & {
    onBytesReceived(bytes: number): void;
  };
}

/** How many connections the transfer wants now, and the machine-wide allowance beyond each download's first. */
export interface ConnectionControl {
  target(): number;
  /** The storage host answered 429 or 503. */
  refused(): void;
  /** One more connection beyond the first, if the allowance has one. */
  take(): boolean;
  give(): void;
}

export interface SegmentSplit {
  readonly segment: number;
  /** Segment `segment` now ends here; `newSegment` starts here and ends where `segment` did. */
  readonly at: number;
  readonly newSegment: number;
}

export interface Round<E> {
  readonly ledger: DurableLedger;
  readonly sync: DurableSync;
  /** The layout, splits included; `done` as it was when the round started. */
  readonly segments: readonly Segment[];
  readonly ended: Promise<RoundEnd<E>>;
  /** Segments being fetched now. */
  busy(): number;
  /** Opens connections up to the target when there is work for them. */
  fill(): void;
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

// The storage host asks for fewer requests.
const REFUSALS = new Set([429, 503]);

/**
 * Fetches every unfinished segment of one layout over as many connections as `env.connections` allows, splitting
 * the largest segment in flight whenever a connection runs out of work.
 */
export function startRound<E>(env: RoundEnv<E>, initial: readonly Segment[]): Round<E> {
  const { options } = env;
  const segments = initial.map((s) => ({ ...s }));
  const ledger = new DurableLedger(segments, options.durableEvery, Date.now());
  const stop = new AbortController();
  // Every connection listens for the stop: up to 16 of them is no leak.
  setMaxListeners(options.connections + 8, stop.signal);
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
  /** Segments a connection works on, by index; their `end` moves when they are split. */
  const working = new Map<number, Segment>();
  /** Per segment, the first byte its connection has not received: a split cuts past it. */
  const reach = new Map<number, number>();
  const queue = segments.filter((s) => s.done < s.end - s.start).sort((a, b) => a.start - b.start);
  let nextIndex = Math.max(...segments.map((s) => s.index)) + 1;
  let workers = 0;
  const attemptEnv: AttemptEnv = {
    ...env.attempt,
    stopSignal: stop.signal,
    writesInFlight: WRITE_BUFFERS,
    onBytesReceived: (bytes, segment, upTo) => {
      reach.set(segment, upTo);
      env.attempt.onBytesReceived(bytes);
    },
    segmentEnd: (index) => {
      const segment = segments.find((s) => s.index === index);
      if (segment === undefined) throw new Error(`unknown segment ${index}`);
      return segment.end;
    },
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

  // A lone segment is a small file or a server that ignores Range: nothing to share.
  const split = (): { index: number; at: number } | undefined =>
    lone
      ? undefined
      : chooseSplit(
          [...working.values()].map((s) => ({ index: s.index, end: s.end, reach: Math.max(reach.get(s.index) ?? 0, ledger.written(s.index)) })),
          options.minSplitBytes,
        );

  /** The second half of the segment with the most left, as a new segment; undefined when none is worth it. */
  function steal(): Segment | undefined {
    const cut = split();
    const owner = cut && working.get(cut.index);
    if (cut === undefined || owner === undefined) return undefined;
    const piece = { index: nextIndex++, start: cut.at, end: owner.end, done: 0 };
    ledger.split(owner.index, cut.at, piece.index, Date.now());
    owner.end = cut.at;
    segments.push(piece);
    env.onSplit({ segment: owner.index, at: cut.at, newSegment: piece.index });
    return piece;
  }

  /** Fetches the segment to its (possibly moving) end; 'yield' when the storage host asked for fewer connections. */
  async function runSegment(segment: Segment): Promise<'yield' | undefined> {
    let failures = 0;
    while (ledger.written(segment.index) < segment.end && !stop.signal.aborted) {
      const resolved = await env.urls.get();
      if (resolved.isErr()) return void finish({ kind: 'failed', error: resolved.error });
      if (stop.signal.aborted) return undefined;
      const { url } = resolved.value;
      const from = ledger.written(segment.index);
      const outcome = await fetchRange(attemptEnv, url, { segment: segment.index, start: from, end: segment.end });
      if (outcome.kind === 'interrupted' && outcome.failure.type === 'status' && outcome.failure.error.code === 'HTTP_STATUS' && REFUSALS.has(outcome.failure.error.status)) {
        env.connections.refused();
        if (workers > env.connections.target()) return 'yield';
      }
      switch (outcome.kind) {
        case 'complete':
        case 'stopped':
          continue;
        case 'fatal':
          return void finish({ kind: 'failed', error: outcome.error });
        case 'restart':
          return void finish(outcome);
        case 'interrupted': {
          // Any progress renews the budget: only attempts that got nothing count against it.
          failures = ledger.written(segment.index) > from ? 1 : failures + 1;
          const { failure } = outcome;
          if (failures >= options.retry.maxAttempts) {
            return void finish({ kind: 'failed', error: giveUp(failure, describeHost(url), failures, env.urls.refreshes > 0) });
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
    return undefined;
  }

  const settled = new Set<Promise<void>>();

  async function worker(extra: boolean): Promise<void> {
    try {
      while (!stop.signal.aborted && workers <= env.connections.target()) {
        const next = queue.shift() ?? steal();
        if (next === undefined) return;
        working.set(next.index, next);
        const yielded = await runSegment(next);
        working.delete(next.index);
        if (yielded !== undefined) {
          queue.unshift(next);
          return;
        }
      }
    } finally {
      workers -= 1;
      env.onConnections(workers);
      if (extra) env.connections.give();
      attemptEnv.writesInFlight = Math.max(1, Math.floor(WRITE_BUFFERS / Math.max(1, workers)));
    }
  }

  function fill(): void {
    const target = lone ? 1 : env.connections.target();
    while (!stop.signal.aborted && workers < target && (queue.length > 0 || split() !== undefined)) {
      const extra = workers > 0;
      if (extra && !env.connections.take()) break;
      workers += 1;
      env.onConnections(workers);
      attemptEnv.writesInFlight = Math.max(1, Math.floor(WRITE_BUFFERS / workers));
      const running = worker(extra);
      settled.add(running);
      // A bug rejects `running`: run() rethrows it from Promise.all.
      running.finally(() => settled.delete(running)).catch(() => undefined);
    }
  }

  async function run(): Promise<RoundEnd<E>> {
    fill();
    while (settled.size > 0) await Promise.all([...settled]);
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

  return { ledger, sync, segments, ended: run(), busy: () => working.size, fill };
}
