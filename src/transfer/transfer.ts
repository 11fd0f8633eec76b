import { dirname } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { Agent } from 'undici';
import { createInOrderHasher, type InOrderHasher } from '../hashing/index.js';
import type { DurableChunk } from './durable-ledger.js';
import { aborted, diskIo, rangesIgnored, remoteChanged, type TransferError } from './errors.js';
import { transferOptionsSchema, type TransferOptionsInput, type Validator } from './options.js';
import { checkFreeSpace, PartFile } from './part-file.js';
import { BufferPool } from './coalescer.js';
import { startRound, type ConnectionControl, type Round, type RoundEnv, type SegmentRetry, type SegmentSplit } from './round.js';
import { DEFAULT_RAMP, refuseRamp, sampleRamp, startRamp, type RampSettings } from './ramp.js';
import type { ConnectionBudget } from './budget.js';
import type { RestartCause } from './attempt.js';
import { durableExtent, planSegments, remainingBytes, segmentLayoutProblem, type Segment } from './segments.js';
import { UrlSource, type ResolveUrl } from './url-source.js';
import { ValidatorState } from './validator-state.js';
import { Watchdog } from './watchdog.js';

export type TransferPlan<E> = TransferOptionsInput & {
  /** The storage URL; called at the start and again whenever the storage host refuses it (403/410). */
  resolveUrl: ResolveUrl<E>;
  /** Pause or cancel: the transfer reports what is durable and ends with ABORTED. */
  signal: AbortSignal;
  /** Shared by every transfer of the process; without one, only `connections` limits this one. */
  budget?: ConnectionBudget;
};

export interface TransferCallbacks {
  /** Bytes [offset, offset + length) of a segment are fdatasync'ed. Per segment, chunks follow each other. */
  onDurable(chunk: DurableChunk): void;
  /** Bytes of the file written so far (not necessarily durable): for display only. */
  onProgress?(bytesWritten: number): void;
  /**
   * The file starts over from zero with these segments: earlier durable chunks no longer count. `rangesIgnored`:
   * the server sends only whole files, so the new layout is one connection.
   */
  onRestart?(restart: { reason: string; segments: Segment[]; rangesIgnored: boolean }): void;
  /** A connection failed or stalled and is tried again after a pause. */
  onRetry?(retry: SegmentRetry): void;
  /** The storage URL was resolved again after the storage host refused it. */
  onUrlRefreshed?(reason: string): void;
  /** The server's validator, when first seen or when it changed. */
  onValidator?(validator: Validator): void;
  /**
   * A segment was split for a connection that ran out of work. Reported before any chunk of the new segment, and
   * no chunk of the old one reaches past `at` after it.
   */
  onSplit?(split: SegmentSplit): void;
  /** How many connections are at work, when it changes: the ramp opens more while the rate rises. */
  onConnections?(open: number): void;
}

export interface TransferOutcome {
  /** SHA-256 of the whole part file, lowercase hex. Comparing it with the expected hash is the caller's job. */
  sha256: string;
  etag: string | undefined;
  lastModified: string | undefined;
  /** Body bytes received in this run (what resuming saved shows here). */
  bytesTransferred: number;
  restarts: number;
}

const PROGRESS_EVERY_MS = 250;

/**
 * Downloads `plan.totalBytes` into `plan.partPath` over ranged connections, resuming from the segments'
 * durable points, and returns the SHA-256 of the result. It knows nothing of the caller's records: progress
 * leaves only through the callbacks.
 */
export async function transferFile<E>(plan: TransferPlan<E>, callbacks: TransferCallbacks): Promise<Result<TransferOutcome, TransferError | E>> {
  const options = transferOptionsSchema.parse(plan);
  const problem = segmentLayoutProblem(options.totalBytes, options.segments);
  if (problem !== undefined) throw new Error(`transferFile: bad segments: ${problem}`);
  if (plan.signal.aborted) return err(aborted());

  const space = await checkFreeSpace(dirname(options.partPath), remainingBytes(options.segments));
  if (space.isErr()) return err(space.error);
  let round: Round<E> | undefined;
  // What a full disk still keeps out: the bytes not written yet, not the whole file.
  const stillNeeded = (): number => (round ? options.totalBytes - round.ledger.writtenBytes(round.segments) : remainingBytes(options.segments));
  const opened = await PartFile.open(options.partPath, options.totalBytes, stillNeeded);
  if (opened.isErr()) return err(opened.error);
  const part = opened.value;
  let hasher: InOrderHasher | undefined;
  let watchdog: Watchdog | undefined;
  // Connections beyond N would only compete for the same bandwidth; redirects are never followed.
  const dispatcher = new Agent({
    connections: options.connections,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.stallMs * 2,
  });
  try {
    hasher = createInOrderHasher(options.partPath);
    const validator = new ValidatorState(options.validator, callbacks.onValidator);
    let received = 0;
    let segments: Segment[] = options.segments.map((s) => ({ ...s }));
    // A layout of one segment is a server that ignores Range (or a small file): more connections cannot help.
    let single = segments.length === 1;
    const rampSettings: RampSettings = { ...DEFAULT_RAMP, initial: options.initialConnections, max: options.connections };
    let ramp = startRamp(rampSettings, Date.now());
    const connections: ConnectionControl = {
      target: () => ramp.target,
      refused: () => {
        ramp = refuseRamp(ramp, rampSettings, Date.now());
      },
      take: () => plan.budget?.take() ?? true,
      give: () => plan.budget?.give(),
    };
    // Only a real change of the file counts towards "it kept changing"; a server without ranges restarts on every
    // dropped connection, which is bounded separately and worth trying again later.
    const restarts: Record<RestartCause | 'lost', number> = { changed: 0, ranges_ignored: 0, lost: 0 };

    const restart = async (reason: string, cause: RestartCause | 'lost', host = 'the download server'): Promise<TransferError | undefined> => {
      restarts[cause] += 1;
      if (restarts.changed > options.maxRestarts) return remoteChanged(restarts.changed - 1);
      if (restarts.ranges_ignored > options.maxRestarts) return rangesIgnored(host, restarts.ranges_ignored - 1);
      const wiped = await part.wipe();
      if (wiped.isErr()) return wiped.error;
      hasher?.reset();
      single ||= cause === 'ranges_ignored';
      segments = single
        ? [{ index: 0, start: 0, end: options.totalBytes, done: 0 }]
        : planSegments(options.totalBytes, options.connections, options.minSegmentBytes);
      callbacks.onRestart?.({ reason, segments: segments.map((s) => ({ ...s })), rangesIgnored: cause === 'ranges_ignored' });
      return undefined;
    };

    // A part file shorter than the recorded progress lost bytes: nothing in it can be trusted.
    if (part.sizeFound < durableExtent(segments)) {
      const failed = await restart(`the partial file is shorter (${part.sizeFound} bytes) than the saved progress`, 'lost');
      if (failed !== undefined) return err(failed);
    }
    for (const s of segments) hasher.markWritten(s.start, s.start + s.done);

    let lastProgress = -1;
    const reportProgress = (): void => {
      if (round === undefined || callbacks.onProgress === undefined) return;
      const bytes = round.ledger.writtenBytes(round.segments);
      if (bytes !== lastProgress) callbacks.onProgress(bytes);
      lastProgress = bytes;
    };
    const tickMs = Math.max(10, Math.min(PROGRESS_EVERY_MS, Math.floor(options.stallMs / 4)));
    watchdog = new Watchdog(tickMs, () => {
      round?.sync.poke();
      reportProgress();
      if (round !== undefined) {
        ramp = sampleRamp(ramp, rampSettings, Date.now(), received, round.busy());
        round.fill();
      }
    });
    const env: RoundEnv<E> = {
      options,
      part,
      hasher,
      urls: new UrlSource(plan.resolveUrl, (reason) => callbacks.onUrlRefreshed?.(reason)),
      signal: plan.signal,
      onDurable: callbacks.onDurable,
      onRetry: (retry) => callbacks.onRetry?.(retry),
      onSplit: (split) => callbacks.onSplit?.(split),
      onConnections: (open) => callbacks.onConnections?.(open),
      connections,
      attempt: {
        dispatcher,
        totalBytes: options.totalBytes,
        buffers: new BufferPool(options.writeBytes),
        stallLimits: { stallMs: options.stallMs, minBytesPerSecond: options.minBytesPerSecond },
        validator: () => validator.current,
        adoptValidator: (seen) => validator.adopt(seen),
        watch: (detector, drop) => watchdog?.watch(detector, drop) ?? (() => undefined),
        onBytesReceived: (bytes) => {
          received += bytes;
        },
      },
    };

    for (;;) {
      round = startRound(env, segments);
      const end = await round.ended;
      if (end.kind === 'complete') break;
      if (end.kind === 'aborted') return err(aborted());
      if (end.kind === 'failed') return err(end.error);
      validator.adopt(end.validator);
      const failed = await restart(end.reason, end.cause, end.host);
      if (failed !== undefined) return err(failed);
    }
    reportProgress();

    let sha256: string;
    try {
      sha256 = await hasher.digest(options.totalBytes);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      return err(diskIo(e.code ?? 'EIO', `reading the partial file back to hash it: ${e.message}`));
    }
    return ok({
      sha256,
      etag: validator.current?.etag,
      lastModified: validator.current?.lastModified,
      bytesTransferred: received,
      restarts: restarts.changed + restarts.ranges_ignored + restarts.lost,
    });
  } finally {
    watchdog?.stop();
    await hasher?.close();
    await dispatcher.destroy();
    await part.close();
  }
}
