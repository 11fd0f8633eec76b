import { dirname } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { Agent } from 'undici';
import { createInOrderHasher, type InOrderHasher } from '../hashing/index.js';
import type { DurableChunk } from './durable-ledger.js';
import { aborted, diskIo, remoteChanged, type TransferError } from './errors.js';
import { transferOptionsSchema, type TransferOptionsInput, type Validator } from './options.js';
import { checkFreeSpace, PartFile } from './part-file.js';
import { BufferPool } from './coalescer.js';
import { startRound, type Round, type RoundEnv } from './round.js';
import { durableExtent, planSegments, remainingBytes, segmentLayoutProblem, type Segment } from './segments.js';
import { UrlSource, type ResolveUrl } from './url-source.js';
import { ValidatorState } from './validator-state.js';
import { Watchdog } from './watchdog.js';

export type TransferPlan = TransferOptionsInput & {
  /** The storage URL; called at the start and again whenever the storage host refuses it (403/410). */
  resolveUrl: ResolveUrl;
  /** Pause or cancel: the transfer reports what is durable and ends with ABORTED. */
  signal: AbortSignal;
};

export interface TransferCallbacks {
  /** Bytes [offset, offset + length) of a segment are fdatasync'ed. Per segment, chunks follow each other. */
  onDurable(chunk: DurableChunk): void;
  /** Bytes of the file written so far (not necessarily durable): for display only. */
  onProgress?(bytesWritten: number): void;
  /** The file starts over from zero with these segments: earlier durable chunks no longer count. */
  onRestart?(restart: { reason: string; segments: Segment[] }): void;
  /** The server's validator, when first seen or when it changed. */
  onValidator?(validator: Validator): void;
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
export async function transferFile(plan: TransferPlan, callbacks: TransferCallbacks): Promise<Result<TransferOutcome, TransferError>> {
  const options = transferOptionsSchema.parse(plan);
  const problem = segmentLayoutProblem(options.totalBytes, options.segments);
  if (problem !== undefined) throw new Error(`transferFile: bad segments: ${problem}`);
  if (plan.signal.aborted) return err(aborted());

  const space = await checkFreeSpace(dirname(options.partPath), remainingBytes(options.segments));
  if (space.isErr()) return err(space.error);
  const opened = await PartFile.open(options.partPath, options.totalBytes);
  if (opened.isErr()) return err(opened.error);
  const part = opened.value;
  let hasher: InOrderHasher | undefined;
  let watchdog: Watchdog | undefined;
  // Connections beyond N would only compete for the same bandwidth; redirects are never followed.
  const dispatcher = new Agent({
    connections: options.connections,
    headersTimeout: options.stallMs * 2,
    bodyTimeout: options.stallMs * 2,
  });
  try {
    hasher = createInOrderHasher(options.partPath);
    const validator = new ValidatorState(options.validator, callbacks.onValidator);
    let received = 0;
    let restarts = 0;
    let segments: Segment[] = options.segments.map((s) => ({ ...s }));
    let concurrency = options.connections;
    let round: Round | undefined;

    const restart = async (reason: string, single: boolean): Promise<TransferError | undefined> => {
      restarts += 1;
      if (restarts > options.maxRestarts) return remoteChanged(restarts - 1);
      const wiped = await part.wipe();
      if (wiped.isErr()) return wiped.error;
      hasher?.reset();
      segments = single
        ? [{ index: 0, start: 0, end: options.totalBytes, done: 0 }]
        : planSegments(options.totalBytes, options.connections, options.minSegmentBytes);
      concurrency = single ? 1 : options.connections;
      callbacks.onRestart?.({ reason, segments: segments.map((s) => ({ ...s })) });
      return undefined;
    };

    // A part file shorter than the recorded progress lost bytes: nothing in it can be trusted.
    if (part.sizeFound < durableExtent(segments)) {
      const failed = await restart(`the partial file is shorter (${part.sizeFound} bytes) than the saved progress`, false);
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
    });
    const env: RoundEnv = {
      options,
      part,
      hasher,
      urls: new UrlSource(plan.resolveUrl),
      signal: plan.signal,
      onDurable: callbacks.onDurable,
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
      round = startRound(env, segments, concurrency);
      const end = await round.ended;
      if (end.kind === 'complete') break;
      if (end.kind === 'aborted') return err(aborted());
      if (end.kind === 'failed') return err(end.error);
      validator.adopt(end.validator);
      const failed = await restart(end.reason, end.singleConnection);
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
      restarts,
    });
  } finally {
    watchdog?.stop();
    await hasher?.close();
    await dispatcher.destroy();
    await part.close();
  }
}
