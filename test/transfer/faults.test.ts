import { describe, it, expect, afterEach } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ok } from 'neverthrow';
import { planSegments, transferFile, type TransferError, type TransferPlan } from '../../src/transfer/index.js';
import { API_KEY, bigFileWorld, clearFaultsWhenQuiet, FILES, MiB, NO_STEALING, recorder, resolverFor, sha256, storageRanges } from './harness.js';

const w = bigFileWorld();
afterEach(() => clearFaultsWhenQuiet(w.sim));

let serial = 0;
/** A fresh download of the big file with fast retries, and what it reported. */
async function download(overrides: Partial<TransferPlan<TransferError>> = {}) {
  const partPath = join(w.folder.dir, `f${(serial += 1)}.part`);
  const segments = planSegments(FILES.big.size, 4, 4 * MiB);
  const rec = recorder(partPath, w.big, segments);
  const resolves = { count: 0 };
  const before = w.sim.requests.length;
  const result = await transferFile(
    {
      partPath,
      totalBytes: FILES.big.size,
      segments,
      resolveUrl: resolverFor(w.sim, 'big', resolves),
      signal: new AbortController().signal,
      stallMs: 2000,
      retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
      durableEvery: { bytes: 4 * MiB, ms: 200 },
      ...overrides,
    },
    rec.callbacks,
  );
  return { result, rec, partPath, segments, resolves, ranges: () => storageRanges(w.sim, before) };
}

const scope = { fileId: FILES.big.id };

describe('transferFile against storage faults', () => {
  it('resumes a dropped connection from its last written byte', async () => {
    w.sim.addFault({ kind: 'drop', afterBytes: 5 * MiB + 100, ...scope });
    const { result, rec, segments, ranges } = await download(NO_STEALING);
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    // The reconnect is reported, so the job's history can tell it.
    expect(rec.retries).toEqual([expect.objectContaining({ failure: 'network', detail: expect.stringMatching(/closed/) })]);
    const asked = ranges();
    expect(asked).toHaveLength(segments.length + 1);
    // The retry starts where the dropped body stopped, inside its segment, not at the segment start.
    const [resumeStart] = asked.at(-1) as [number, number];
    expect(segments.some((s) => resumeStart === s.start + 5 * MiB + 100)).toBe(true);
    expect(result._unsafeUnwrap().bytesTransferred).toBe(FILES.big.size);
    rec.assertSound();
  });

  it('restarts with one connection from zero when the server ignores Range', async () => {
    w.sim.addFault({ kind: 'ignore-range', ...scope });
    const { result, rec, partPath } = await download();
    const outcome = result._unsafeUnwrap();
    expect(outcome.sha256).toBe(w.bigSha);
    expect(outcome.restarts).toBe(1);
    expect(rec.restarts).toHaveLength(1);
    expect(rec.restarts[0]?.reason).toMatch(/ignored the Range/);
    expect(rec.restarts[0]?.segments).toEqual([{ index: 0, start: 0, end: FILES.big.size, done: 0 }]);
    expect(rec.restarts[0]?.rangesIgnored).toBe(true);
    expect((await readFile(partPath)).equals(w.big)).toBe(true);
    rec.assertSound();
  });

  it('restarts from zero when the file changed between attempts (If-Range answered 200)', async () => {
    const first = await download({ validator: undefined });
    const oldEtag = first.result._unsafeUnwrap().etag;
    // Same plan again with the old validator, as after a pause; the file is re-uploaded meanwhile.
    w.sim.addFault({ kind: 'change-etag', ...scope });
    const { result, rec } = await download({ validator: { etag: oldEtag } });
    const outcome = result._unsafeUnwrap();
    expect(outcome.sha256).toBe(w.bigSha);
    expect(outcome.etag).not.toBe(oldEtag);
    expect(rec.restarts).toHaveLength(1);
    expect(rec.restarts[0]?.reason).toMatch(/changed/);
    expect(rec.restarts[0]?.rangesIgnored).toBe(false);
    expect(rec.validators.at(-1)?.etag).toBe(outcome.etag);
    rec.assertSound();
  });

  it('completes with a server that always ignores Range, taking its whole-file answer after one restart', async () => {
    w.sim.addFault({ kind: 'ignore-range', times: Infinity, ...scope });
    const { result, rec } = await download();
    expect(result._unsafeUnwrap()).toMatchObject({ sha256: w.bigSha, restarts: 1 });
    rec.assertSound();
  });

  it('stays on one connection once Range is ignored, and calls dropped connections what they are, not a changed file', async () => {
    w.sim.addFault({ kind: 'ignore-range', times: Infinity, ...scope });
    w.sim.addFault({ kind: 'drop', afterBytes: 3 * MiB, times: Infinity, ...scope });
    const { result, rec } = await download({ maxRestarts: 2 });
    const error = result._unsafeUnwrapErr() as TransferError;
    expect(error).toMatchObject({ code: 'RANGES_IGNORED', restarts: 2 });
    expect(error.message).toMatch(/ignores Range requests.*dropped 3 times/);
    expect(error.message).not.toMatch(/kept changing/);
    // One restart to a single connection, then one per dropped whole-file answer: never several connections again.
    expect(rec.restarts.every((r) => r.segments.length === 1 && r.rangesIgnored)).toBe(true);
  });

  it('resumes a one-segment plan on one connection, without asking for more', async () => {
    const partPath = join(w.folder.dir, `single${(serial += 1)}.part`);
    const segments = [{ index: 0, start: 0, end: FILES.big.size, done: 0 }];
    const rec = recorder(partPath, w.big, segments);
    const before = w.sim.requests.length;
    const result = await transferFile(
      { partPath, totalBytes: FILES.big.size, segments, resolveUrl: resolverFor(w.sim, 'big'), signal: new AbortController().signal, connections: 4 },
      rec.callbacks,
    );
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(storageRanges(w.sim, before)).toEqual([[0, FILES.big.size]]);
  });

  it('lets a server think longer than the stall limit before its headers: the stall clock starts with the body', async () => {
    w.sim.addFault({ kind: 'slow-headers', ms: 1200, times: 4, ...scope });
    const { result, rec } = await download({ stallMs: 300 });
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(rec.retries).toEqual([]);
  });

  it('reports a refreshed signed URL, and says "even after it was refreshed" only when one was', async () => {
    w.sim.addFault({ kind: 'expire-url', ...scope });
    const refreshed = await download();
    expect(refreshed.rec.refreshes).toEqual([expect.stringMatching(/403/)]);
    w.sim.addFault({ kind: 'expire-url', times: Infinity, ...scope });
    const failed = await download({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    expect((failed.result._unsafeUnwrapErr() as TransferError).message).toMatch(/even after it was refreshed/);
    expect(failed.rec.refreshes.length).toBeGreaterThan(0);
  });

  it('gives up with REMOTE_CHANGED when the file keeps changing under every connection', async () => {
    w.sim.addFault({ kind: 'change-etag', times: Infinity, ...scope });
    w.sim.addFault({ kind: 'drop', afterBytes: 2 * MiB, times: Infinity, ...scope });
    const { result, rec } = await download({ maxRestarts: 2 });
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'REMOTE_CHANGED', restarts: 2 });
    expect(rec.restarts).toHaveLength(2);
  });

  it('resolves a fresh URL when the signed one expired, and continues', async () => {
    w.sim.addFault({ kind: 'expire-url', ...scope });
    const { result, resolves, rec } = await download();
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(resolves.count).toBe(2);
    rec.assertSound();
  });

  it('drops a stalled connection and reconnects', async () => {
    w.sim.addFault({ kind: 'stall', afterBytes: 2 * MiB, ms: 10_000, ...scope });
    const started = Date.now();
    const { result, ranges, segments } = await download({ stallMs: 300, ...NO_STEALING });
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    // Waiting the stall out would take 10 s.
    expect(Date.now() - started).toBeLessThan(8000);
    expect(ranges()).toHaveLength(segments.length + 1);
  });

  it('fails with STALLED when a connection keeps stalling without progress', async () => {
    w.sim.addFault({ kind: 'stall', afterBytes: 0, ms: 3000, times: Infinity, ...scope });
    const { result } = await download({ stallMs: 150, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    const error = result._unsafeUnwrapErr();
    expect(error.code).toBe('STALLED');
    expect(error.message).toMatch(/no data for 0\.1 s.*2 attempts/);
    expect(error.message).not.toMatch(/X-Amz|\?/);
  });

  it('drops a connection slower than minBytesPerSecond and reconnects', async () => {
    w.sim.addFault({ kind: 'throttle', bytesPerSecond: 256 * 1024, ...scope });
    const started = Date.now();
    const { result, ranges, segments } = await download({ stallMs: 400, minBytesPerSecond: 1024 * 1024, ...NO_STEALING });
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    // At the throttled rate one segment alone would take ~48 s.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(ranges()).toHaveLength(segments.length + 1);
  });

  it('reports the hash of the bytes served when they are corrupt (verification is the caller’s)', async () => {
    const offset = 20 * MiB + 5;
    // Every first request takes the fault; only the one whose range holds the offset is affected (no connection takes
    // over part of another's range, which would fetch the corrupt byte again, clean).
    w.sim.addFault({ kind: 'corrupt', offset, times: 4, ...scope });
    const { result } = await download(NO_STEALING);
    const served = Buffer.from(w.big);
    served[offset] = (served[offset] ?? 0) ^ 0xff;
    const outcome = result._unsafeUnwrap();
    expect(outcome.sha256).not.toBe(w.bigSha);
    expect(outcome.sha256).toBe(sha256(served));
  });

  it('retries 5xx answers with backoff, then completes', async () => {
    w.sim.addFault({ kind: 'status', status: 503, target: 'storage', times: 2, ...scope });
    const { result, ranges, segments, rec } = await download(NO_STEALING);
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(ranges()).toHaveLength(segments.length + 2);
    rec.assertSound();
  });

  it('fails with HTTP_STATUS (not retryable) on a 404, and with HTTP_STATUS retryable after repeated 500s', async () => {
    w.sim.addFault({ kind: 'status', status: 404, target: 'storage', ...scope });
    const gone = await download();
    expect(gone.result._unsafeUnwrapErr()).toMatchObject({ code: 'HTTP_STATUS', status: 404, retryable: false });
    await clearFaultsWhenQuiet(w.sim);
    w.sim.addFault({ kind: 'status', status: 500, target: 'storage', times: Infinity, ...scope });
    const failing = await download({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    expect(failing.result._unsafeUnwrapErr()).toMatchObject({ code: 'HTTP_STATUS', status: 500, retryable: true });
  });

  it('never writes an HTML page as model bytes', async () => {
    // The download endpoint itself, answering a login page, stands in for a storage URL gone wrong.
    w.sim.addFault({ kind: 'html-login', times: Infinity });
    const url = `${w.sim.apiUrl}/api/download/models/${FILES.big.id + 1000}?token=${API_KEY}`;
    const { result, partPath } = await download({ resolveUrl: () => Promise.resolve(ok({ url })) });
    const error = result._unsafeUnwrapErr();
    expect(error.code).toBe('HTML_RESPONSE');
    expect(error.message).not.toContain(API_KEY);
    expect((await readFile(partPath)).every((byte) => byte === 0)).toBe(true);
  });
});
