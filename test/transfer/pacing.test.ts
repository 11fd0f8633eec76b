import { describe, it, expect } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs } from '../../src/transfer/retry.js';
import { StallDetector } from '../../src/transfer/stall.js';
import { DurableLedger } from '../../src/transfer/durable-ledger.js';

describe('backoff', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  it('grows exponentially with jitter in the upper half, capped', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(50);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(400);
    expect(backoffDelayMs(10, policy, () => 0.5)).toBe(750);
  });
  it('reads Retry-After and bounds it', () => {
    expect(parseRetryAfterMs('2', 0)).toBe(2000);
    expect(parseRetryAfterMs('999999', 0)).toBe(600_000);
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, 0)).toBeUndefined();
  });
});

describe('StallDetector', () => {
  it('reports silence longer than stallMs', () => {
    const detector = new StallDetector({ stallMs: 1000 }, 0);
    detector.onBytes(10, 500);
    expect(detector.check(1400)).toBeUndefined();
    expect(detector.check(1500)).toMatch(/no data for 1.0 s/);
  });
  it('reports a trickle below minBytesPerSecond over a window', () => {
    const detector = new StallDetector({ stallMs: 1000, minBytesPerSecond: 1000 }, 0);
    for (let t = 100; t <= 1000; t += 100) detector.onBytes(50, t);
    expect(detector.check(1000)).toMatch(/500 bytes\/s, below the minimum of 1000/);
    for (let t = 1100; t <= 2000; t += 100) detector.onBytes(200, t);
    expect(detector.check(2000)).toBeUndefined();
  });
});

describe('DurableLedger', () => {
  const segments = [
    { index: 0, start: 0, end: 100, done: 10 },
    { index: 1, start: 100, end: 200, done: 0 },
  ];
  it('reports contiguous chunks only up to what a sync covered, when due', () => {
    const ledger = new DurableLedger(segments, { bytes: 30, ms: 1000 }, 0);
    ledger.noteWritten(0, 30);
    expect(ledger.anyDue(1)).toBe(false);
    ledger.noteWritten(0, 45);
    expect(ledger.anyDue(1)).toBe(true);
    const snapshot = ledger.snapshot();
    ledger.noteWritten(0, 60); // lands after the sync started: not covered
    ledger.noteWritten(1, 110);
    expect(ledger.commit(snapshot, 2, false)).toEqual([{ segment: 0, offset: 10, length: 35 }]);
    // Segment 1 is due by time only later; segment 0's 15 pending bytes are not due yet.
    expect(ledger.commit(ledger.snapshot(), 500, false)).toEqual([]);
    expect(ledger.commit(ledger.snapshot(), 1002, false)).toEqual([
      { segment: 0, offset: 45, length: 15 },
      { segment: 1, offset: 100, length: 10 },
    ]);
  });
  it('reports a completed segment at once and everything on demand', () => {
    const ledger = new DurableLedger(segments, { bytes: 1000, ms: 1000 }, 0);
    ledger.noteWritten(1, 200);
    ledger.noteWritten(0, 20);
    expect(ledger.commit(ledger.snapshot(), 1, false)).toEqual([{ segment: 1, offset: 100, length: 100 }]);
    expect(ledger.commit(ledger.snapshot(), 1, true)).toEqual([{ segment: 0, offset: 10, length: 10 }]);
    expect(ledger.writtenBytes(segments)).toBe(120);
  });
  it('refuses writes out of order or past the segment end', () => {
    const ledger = new DurableLedger(segments, { bytes: 10, ms: 10 }, 0);
    expect(() => ledger.noteWritten(0, 5)).toThrow(/out of order/);
    expect(() => ledger.noteWritten(1, 201)).toThrow(/out of order/);
  });
});
