import { describe, it, expect } from 'vitest';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planSegments, transferFile, type Segment } from '../../src/transfer/index.js';
import { bigFileWorld, FILES, MiB, NO_STEALING, recorder, resolverFor, sha256, storageRanges } from './harness.js';

const w = bigFileWorld();

const fast = { stallMs: 2000, retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 }, durableEvery: { bytes: 4 * MiB, ms: 200 } };

describe('transferFile', () => {
  it('downloads over 4 ranged connections, hashes in order and reports sound durable chunks', async () => {
    const partPath = join(w.folder.dir, 'clean.part');
    const segments = planSegments(FILES.big.size, 4, 4 * MiB);
    const rec = recorder(partPath, w.big, segments);
    const before = w.sim.requests.length;
    const result = await transferFile(
      { partPath, totalBytes: FILES.big.size, segments, resolveUrl: resolverFor(w.sim, 'big'), signal: new AbortController().signal, ...fast, ...NO_STEALING },
      rec.callbacks,
    );
    const outcome = result._unsafeUnwrap();
    expect(outcome.sha256).toBe(w.bigSha);
    expect(outcome.bytesTransferred).toBe(FILES.big.size);
    expect(outcome.etag).toMatch(/^"[0-9a-f]+"$/);
    expect((await readFile(partPath)).equals(w.big)).toBe(true);
    expect(storageRanges(w.sim, before)).toEqual(segments.map((s) => [s.start, s.end]));
    rec.assertSound();
    // Every byte is reported durable exactly once.
    expect(rec.durable.reduce((sum, c) => sum + c.length, 0)).toBe(FILES.big.size);
    expect(rec.resumeState()).toEqual(segments.map((s) => ({ ...s, done: s.end - s.start })));
    expect(rec.validators).toHaveLength(1);
    expect(rec.progress.at(-1)).toBe(FILES.big.size);
    expect(rec.restarts).toEqual([]);
  });

  it('resumes from a given segment state without downloading the durable bytes again', async () => {
    const partPath = join(w.folder.dir, 'resume.part');
    const planned = planSegments(FILES.big.size, 4, 4 * MiB);
    // A previous run left a different amount of each segment on disk (one finished, one untouched).
    const dones = planned.map((s, i) => [5 * MiB + 3, s.end - s.start, 0, 1][i] ?? 0);
    const segments: Segment[] = planned.map((s, i) => ({ ...s, done: dones[i] ?? 0 }));
    const file = await open(partPath, 'w');
    for (const s of segments) await file.write(w.big, s.start, s.done, s.start);
    await file.close();
    const rec = recorder(partPath, w.big, segments);
    const before = w.sim.requests.length;
    const result = await transferFile(
      { partPath, totalBytes: FILES.big.size, segments, resolveUrl: resolverFor(w.sim, 'big'), signal: new AbortController().signal, ...fast, ...NO_STEALING },
      rec.callbacks,
    );
    const remaining = segments.reduce((sum, s) => sum + s.end - s.start - s.done, 0);
    const outcome = result._unsafeUnwrap();
    expect(outcome.sha256).toBe(w.bigSha);
    expect(outcome.bytesTransferred).toBe(remaining);
    // Only the bytes past each durable point were asked for; the finished segment was not asked at all.
    expect(storageRanges(w.sim, before)).toEqual(segments.filter((s) => s.start + s.done < s.end).map((s) => [s.start + s.done, s.end]));
    rec.assertSound();
  });

  it('stops on abort with its durable chunks reported, then resumes from them to the right hash', async () => {
    const partPath = join(w.folder.dir, 'abort.part');
    const segments = planSegments(FILES.big.size, 4, 4 * MiB);
    const rec = recorder(partPath, w.big, segments);
    const controller = new AbortController();
    const plan = { partPath, totalBytes: FILES.big.size, resolveUrl: resolverFor(w.sim, 'big'), ...fast, durableEvery: { bytes: 1 * MiB, ms: 50 } };
    w.sim.addFault({ kind: 'throttle', bytesPerSecond: 8 * MiB, fileId: FILES.big.id, times: 4 });
    const first = await transferFile({ ...plan, segments, signal: controller.signal }, {
      ...rec.callbacks,
      onDurable: (chunk) => {
        rec.callbacks.onDurable(chunk);
        if (rec.durable.length === 3) controller.abort();
      },
    });
    expect(first._unsafeUnwrapErr().code).toBe('ABORTED');
    const state = rec.resumeState();
    const saved = state.reduce((sum, s) => sum + s.done, 0);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(FILES.big.size);

    const before = w.sim.requests.length;
    const splitsBefore = rec.splits.length;
    const second = await transferFile(
      { ...plan, segments: state, validator: { etag: rec.validators.at(-1)?.etag }, signal: new AbortController().signal },
      rec.callbacks,
    );
    expect(second._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(second._unsafeUnwrap().bytesTransferred).toBe(FILES.big.size - saved);
    // Each request starts at a durable point, or where a free connection took over the rest of a segment.
    const splitPoints = rec.splits.slice(splitsBefore).map((split) => split.at);
    for (const [start] of storageRanges(w.sim, before) as Array<[number, number]>) {
      expect(state.some((s) => s.start + s.done === start) || splitPoints.includes(start)).toBe(true);
    }
    rec.assertSound();
  });

  it('returns ABORTED at once for a signal aborted before the start', async () => {
    const partPath = join(w.folder.dir, 'pre-aborted.part');
    const result = await transferFile(
      { partPath, totalBytes: 10, segments: planSegments(10, 4, MiB), resolveUrl: resolverFor(w.sim, 'big'), signal: AbortSignal.abort() },
      { onDurable: () => undefined },
    );
    expect(result._unsafeUnwrapErr().code).toBe('ABORTED');
  });

  it('refuses to start without the disk space, saying how much is needed and free', async () => {
    const partPath = join(w.folder.dir, 'huge.part');
    const totalBytes = 2 ** 52;
    const result = await transferFile(
      { partPath, totalBytes, segments: [{ index: 0, start: 0, end: totalBytes, done: 0 }], resolveUrl: resolverFor(w.sim, 'big'), signal: new AbortController().signal },
      { onDurable: () => undefined },
    );
    const error = result._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'DISK_FULL', neededBytes: totalBytes, folder: w.folder.dir });
    expect(error.message).toMatch(/need 4\.0 PiB, .* free on /);
  });

  it('fails with SIZE_MISMATCH when the server has another size than planned, writing nothing', async () => {
    const partPath = join(w.folder.dir, 'wrong-size.part');
    const totalBytes = FILES.small.size + 1;
    const result = await transferFile(
      { partPath, totalBytes, segments: planSegments(totalBytes, 2, MiB), resolveUrl: resolverFor(w.sim, 'small'), signal: new AbortController().signal, ...fast },
      { onDurable: () => undefined },
    );
    const error = result._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'SIZE_MISMATCH', expectedBytes: totalBytes, actualBytes: FILES.small.size });
    expect(error.message).not.toMatch(/X-Amz|\?/);
    expect((await readFile(partPath)).every((byte) => byte === 0)).toBe(true);
  });

  it('starts over when the part file lost bytes the records say are durable', async () => {
    const partPath = join(w.folder.dir, 'lost.part');
    await writeFile(partPath, w.big.subarray(0, MiB));
    const segments = planSegments(FILES.small.size, 1, MiB).map((s) => ({ ...s, done: 2 * MiB }));
    const small = w.sim.fileBytes(FILES.small.id);
    const rec = recorder(partPath, small, segments);
    const result = await transferFile(
      { partPath, totalBytes: FILES.small.size, segments, resolveUrl: resolverFor(w.sim, 'small'), signal: new AbortController().signal, ...fast },
      rec.callbacks,
    );
    expect(result._unsafeUnwrap().sha256).toBe(sha256(small));
    expect(rec.restarts[0]?.reason).toMatch(/shorter/);
    rec.assertSound();
  });
});

describe('transferFile edge cases', () => {
  it('handles an empty file without a request', async () => {
    const partPath = join(w.folder.dir, 'empty.part');
    const before = w.sim.requests.length;
    const result = await transferFile(
      { partPath, totalBytes: 0, segments: planSegments(0, 4, MiB), resolveUrl: resolverFor(w.sim, 'big'), signal: new AbortController().signal },
      { onDurable: () => undefined },
    );
    expect(result._unsafeUnwrap()).toMatchObject({ sha256: sha256(Buffer.alloc(0)), bytesTransferred: 0 });
    expect(storageRanges(w.sim, before)).toEqual([]);
  });
});
