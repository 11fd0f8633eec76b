import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import { ConnectionBudget, planSegments, transferFile, type TransferError, type TransferPlan } from '../../src/transfer/index.js';
import { bigFileWorld, clearFaultsWhenQuiet, FILES, MiB, recorder, resolverFor, storageRanges } from './harness.js';

const w = bigFileWorld();
afterEach(() => clearFaultsWhenQuiet(w.sim));

const scope = { fileId: FILES.big.id };
let serial = 0;

/** The big file (48 MiB in 4 segments) with the daemon's ramp: from 4 connections up to 16. */
async function download(overrides: Partial<TransferPlan<TransferError>> = {}, onDurable?: (rec: ReturnType<typeof recorder>, abort: () => void) => void) {
  const partPath = join(w.folder.dir, `adaptive${(serial += 1)}.part`);
  const segments = planSegments(FILES.big.size, 4, 4 * MiB);
  const rec = recorder(partPath, w.big, segments);
  const controller = new AbortController();
  const before = w.sim.requests.length;
  const plan = {
    partPath,
    totalBytes: FILES.big.size,
    resolveUrl: resolverFor(w.sim, 'big'),
    connections: 16,
    stallMs: 2000,
    retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200 },
    durableEvery: { bytes: 1 * MiB, ms: 100 },
    ...overrides,
  };
  const result = await transferFile({ ...plan, segments, signal: controller.signal }, {
    ...rec.callbacks,
    onDurable: (chunk) => {
      rec.callbacks.onDurable(chunk);
      onDurable?.(rec, () => controller.abort());
    },
  });
  return { result, rec, plan, ranges: () => storageRanges(w.sim, before) };
}

describe('adaptive connections and work stealing', () => {
  it('opens more connections while a per-connection cap keeps the rate rising, and splits segments for them', async () => {
    w.sim.addFault({ kind: 'throttle', bytesPerSecond: 6 * MiB, times: Infinity, ...scope });
    const { result, rec } = await download();
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(Math.max(...rec.connections)).toBeGreaterThan(4);
    // Four segments cannot keep more than four connections busy: the others took over halves of running ones.
    expect(rec.splits.length).toBeGreaterThan(0);
    expect(result._unsafeUnwrap().bytesTransferred).toBe(FILES.big.size);
    rec.assertSound();
  });

  it('resumes exactly from a layout with splits, as a daemon rebuilds it from its events', async () => {
    w.sim.addFault({ kind: 'throttle', bytesPerSecond: 6 * MiB, times: Infinity, ...scope });
    let aborted = false;
    const first = await download({}, (rec, abort) => {
      if (!aborted && rec.splits.length > 0 && rec.durable.length >= 12) {
        aborted = true;
        abort();
      }
    });
    expect(first.result._unsafeUnwrapErr().code).toBe('ABORTED');
    expect(first.rec.splits.length).toBeGreaterThan(0);
    const state = first.rec.resumeState();
    expect(state.length).toBe(4 + first.rec.splits.length);
    const saved = state.reduce((sum, s) => sum + s.done, 0);

    const before = w.sim.requests.length;
    const splitsBefore = first.rec.splits.length;
    const second = await transferFile(
      { ...first.plan, segments: state, validator: { etag: first.rec.validators.at(-1)?.etag }, signal: new AbortController().signal },
      first.rec.callbacks,
    );
    expect(second._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(second._unsafeUnwrap().bytesTransferred).toBe(FILES.big.size - saved);
    const splitPoints = first.rec.splits.slice(splitsBefore).map((split) => split.at);
    for (const [start] of storageRanges(w.sim, before) as Array<[number, number]>) {
      expect(state.some((s) => s.start + s.done === start) || splitPoints.includes(start)).toBe(true);
    }
    first.rec.assertSound();
  });

  it('halves its connections when the storage host answers 429, and finishes on the rest', async () => {
    w.sim.addFault({ kind: 'status', status: 429, retryAfter: 0, target: 'storage', times: 8, ...scope });
    const { result, rec } = await download({ initialConnections: 8, connections: 8 });
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(rec.retries.some((r) => /429/.test(r.detail))).toBe(true);
    // Eight at first; once refused, down to four and never more again.
    expect(rec.connections).toContain(8);
    const afterCut = rec.connections.slice(rec.connections.indexOf(4, rec.connections.indexOf(8)));
    expect(afterCut.length).toBeGreaterThan(0);
    expect(Math.max(...afterCut)).toBeLessThanOrEqual(4);
    rec.assertSound();
  });

  it('keeps within a shared allowance: one connection always, more only while the allowance has them', async () => {
    w.sim.addFault({ kind: 'throttle', bytesPerSecond: 12 * MiB, times: Infinity, ...scope });
    const budget = new ConnectionBudget(1);
    const { result, rec } = await download({ budget });
    expect(result._unsafeUnwrap().sha256).toBe(w.bigSha);
    expect(Math.max(...rec.connections)).toBe(2);
    expect(budget.take()).toBe(true);
    rec.assertSound();
  });
});
