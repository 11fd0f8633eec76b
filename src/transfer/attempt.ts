import type { Result } from 'neverthrow';
import { request, type Dispatcher } from 'undici';
import { Coalescer, type BufferPool } from './coalescer.js';
import { describeHost, sizeMismatch, type TransferError } from './errors.js';
import type { Validator } from './options.js';
import { compareValidator, ifRangeValue, judgeResponse, validatorOf, type Headers } from './response.js';
import { StallDetector, type StallLimits } from './stall.js';

/** Why an attempt ended early in a way worth retrying. */
export type Failure =
  | { type: 'network'; detail: string }
  | { type: 'stall'; detail: string }
  | { type: 'status'; error: TransferError; retryAfterMs: number | undefined }
  | { type: 'expired'; status: number };

export type AttemptOutcome =
  | { kind: 'complete' }
  | { kind: 'interrupted'; failure: Failure }
  /**
   * The bytes on disk cannot be combined with what the server now sends: start the file over, because the file
   * really changed (a new validator), or because the server ignores Range and only ever sends the whole file.
   */
  | { kind: 'restart'; reason: string; cause: RestartCause; validator: Validator; host: string }
  | { kind: 'fatal'; error: TransferError }
  /** The whole transfer is stopping (pause, cancel, another connection's failure). */
  | { kind: 'stopped' };

/** What one connection needs from the transfer around it. */
export interface AttemptEnv {
  dispatcher: Dispatcher;
  totalBytes: number;
  /** Where body chunks are gathered into large writes. */
  buffers: BufferPool;
  /** Writes one connection may have queued while it keeps receiving. */
  writesInFlight: number;
  stallLimits: StallLimits;
  /** Aborted when the whole transfer stops. */
  stopSignal: AbortSignal;
  validator(): Validator | undefined;
  /** Records a validator the server revealed, or one adopted instead of the known one. */
  adoptValidator(validator: Validator): void;
  /** Whether a 200 with the whole file can serve as this range: only for a lone range over the whole file. */
  acceptsWholeBody(range: AttemptRange): boolean;
  /** Writes at `position` and records the bytes as written once the write completed. */
  write(segment: number, buffer: Buffer, position: number): Promise<Result<void, TransferError>>;
  /** Lets the transfer's watchdog check `detector` and call `drop` when it reports a stall; returns an unwatch. */
  watch(detector: StallDetector, drop: (reason: string) => void): () => void;
  /** `bytes` more arrived for `segment`, whose connection has now received everything before `reach`. */
  onBytesReceived(bytes: number, segment: number, reach: number): void;
  /** Where the segment ends now: a split (work stealing) can move it before the end this attempt asked for. */
  segmentEnd(segment: number): number;
}

export type RestartCause = 'changed' | 'ranges_ignored';

export interface AttemptRange {
  segment: number;
  /** First byte not yet written. */
  start: number;
  /** Exclusive: the segment's end when the request was made. */
  end: number;
}

class Stall {
  constructor(readonly reason: string) {}
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return [e.code, e.message].filter((part) => part !== undefined && part !== '').join(': ') || String(error);
}

/** One ranged GET of [range.start, range.end), written to the part file as it arrives. */
export async function fetchRange(env: AttemptEnv, url: string, range: AttemptRange): Promise<AttemptOutcome> {
  const host = describeHost(url);
  const controller = new AbortController();
  const onStop = (): void => controller.abort(env.stopSignal.reason);
  if (env.stopSignal.aborted) return { kind: 'stopped' };
  env.stopSignal.addEventListener('abort', onStop, { once: true });
  let unwatch = (): void => undefined;
  const interruption = (error: unknown): AttemptOutcome => {
    const reason: unknown = controller.signal.reason;
    if (reason instanceof Stall) return { kind: 'interrupted', failure: { type: 'stall', detail: reason.reason } };
    if (controller.signal.aborted) return { kind: 'stopped' };
    return { kind: 'interrupted', failure: { type: 'network', detail: describeError(error) } };
  };
  try {
    const headers: Record<string, string> = { range: `bytes=${range.start}-${range.end - 1}` };
    const ifRange = ifRangeValue(env.validator());
    if (ifRange !== undefined) headers['if-range'] = ifRange;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, { method: 'GET', headers, dispatcher: env.dispatcher, signal: controller.signal });
    } catch (error) {
      return interruption(error);
    }
    const early = judge(env, range, response, host);
    if (early !== undefined) {
      response.body.dump().catch(() => undefined);
      return early;
    }
    // The stall clock starts with the headers: a server may think a long while before its first byte (the
    // dispatcher's headers timeout bounds that), but once the body flows, a pause in it is a stall.
    const detector = new StallDetector(env.stallLimits, Date.now());
    unwatch = env.watch(detector, (reason) => controller.abort(new Stall(reason)));
    return await receive(env, range, response, host, detector, interruption);
  } finally {
    unwatch();
    env.stopSignal.removeEventListener('abort', onStop);
  }
}

/** An outcome decided from the status and headers alone, or undefined to go on with the body. */
function judge(env: AttemptEnv, range: AttemptRange, response: Dispatcher.ResponseData, host: string): AttemptOutcome | undefined {
  const headers = response.headers as Headers;
  const asked = { start: range.start, end: range.end, totalBytes: env.totalBytes };
  const verdict = judgeResponse(asked, response.statusCode, headers, host, Date.now());
  switch (verdict.kind) {
    case 'expired':
      return { kind: 'interrupted', failure: { type: 'expired', status: response.statusCode } };
    case 'retry':
      return { kind: 'interrupted', failure: { type: 'status', error: verdict.error, retryAfterMs: verdict.retryAfterMs } };
    case 'fatal':
      return { kind: 'fatal', error: verdict.error };
    case 'whole':
    case 'partial': {
      const seen = validatorOf(headers);
      const comparison = compareValidator(env.validator(), seen);
      if (verdict.kind === 'whole' && !env.acceptsWholeBody(range)) {
        // A 200 to a ranged request: the server ignores Range, or If-Range found the file changed.
        return comparison === 'changed'
          ? { kind: 'restart', reason: `the file on ${host} changed (If-Range answered with the whole new file)`, cause: 'changed', validator: seen, host }
          : { kind: 'restart', reason: `${host} ignored the Range request and sent the whole file`, cause: 'ranges_ignored', validator: seen, host };
      }
      if (comparison === 'changed' && verdict.kind === 'partial') {
        return { kind: 'restart', reason: `the file on ${host} changed (new ETag or Last-Modified)`, cause: 'changed', validator: seen, host };
      }
      if (comparison !== 'same') env.adoptValidator(seen);
      return undefined;
    }
  }
}

async function receive(
  env: AttemptEnv,
  range: AttemptRange,
  response: Dispatcher.ResponseData,
  host: string,
  detector: StallDetector,
  interruption: (error: unknown) => AttemptOutcome,
): Promise<AttemptOutcome> {
  const coalescer = new Coalescer(env.buffers, (buffer, position) => env.write(range.segment, buffer, position), range.start, env.writesInFlight);
  let outcome: AttemptOutcome | undefined;
  try {
    for await (const received of response.body as AsyncIterable<Buffer>) {
      const now = Date.now();
      let chunk = received;
      detector.onBytes(chunk.length, now);
      const end = env.segmentEnd(range.segment);
      const cut = coalescer.end + chunk.length > end;
      if (cut) {
        if (end === range.end) {
          const detail = `${host} sent more than the ${range.end - range.start} bytes asked from byte ${range.start}.`;
          outcome = { kind: 'fatal', error: sizeMismatch(env.totalBytes, undefined, detail) };
          break;
        }
        // Another connection took over the rest of this segment: keep the bytes up to the new end, drop the request.
        chunk = chunk.subarray(0, end - coalescer.end);
      }
      env.onBytesReceived(chunk.length, range.segment, coalescer.end + chunk.length);
      const failed = await coalescer.push(chunk, now);
      if (failed !== undefined) {
        outcome = { kind: 'fatal', error: failed };
        break;
      }
      if (cut) break;
    }
  } catch (error) {
    outcome = interruption(error);
  }
  // Whatever arrived before an interruption is a valid prefix of the range: keep it.
  const failed = await coalescer.drain();
  if (failed !== undefined) return { kind: 'fatal', error: failed };
  if (outcome !== undefined) return outcome;
  const end = env.segmentEnd(range.segment);
  if (coalescer.end < end) {
    return { kind: 'interrupted', failure: { type: 'network', detail: `the connection closed at byte ${coalescer.end} of ${end}` } };
  }
  return { kind: 'complete' };
}
