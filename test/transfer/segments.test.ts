import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { chooseSplit, planSegments, segmentLayoutProblem, durableExtent, remainingBytes, MAX_SEGMENT_BYTES } from '../../src/transfer/segments.js';

const MiB = 1024 * 1024;

describe('planSegments', () => {
  it('splits into N page-aligned segments that cover the file', () => {
    const segments = planSegments(100 * MiB + 123, 4, 8 * MiB);
    expect(segments).toHaveLength(4);
    expect(segments[0]).toEqual({ index: 0, start: 0, end: segments[1]!.start, done: 0 });
    expect(segments.at(-1)!.end).toBe(100 * MiB + 123);
    for (const s of segments.slice(1)) expect(s.start % 4096).toBe(0);
  });

  it('uses fewer segments when they would fall below the minimum size, and one for tiny or empty files', () => {
    expect(planSegments(20 * MiB, 4, 8 * MiB)).toHaveLength(2);
    expect(planSegments(100, 4, 8 * MiB)).toEqual([{ index: 0, start: 0, end: 100, done: 0 }]);
    expect(planSegments(0, 4, 8 * MiB)).toEqual([{ index: 0, start: 0, end: 0, done: 0 }]);
  });

  it('splits large files into pieces of at most MAX_SEGMENT_BYTES, fetched in file order', () => {
    const segments = planSegments(1024 * MiB, 4, 16 * MiB);
    expect(segments).toHaveLength(1024 / 32);
    expect(segments.every((s) => s.end - s.start === MAX_SEGMENT_BYTES)).toBe(true);
  });

  it('always yields a valid layout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 36 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 2 ** 26 }), (total, n, min) => {
        const segments = planSegments(total, n, min);
        expect(segmentLayoutProblem(total, segments)).toBeUndefined();
        expect(remainingBytes(segments)).toBe(total);
        expect(segments.length).toBeGreaterThanOrEqual(Math.min(n, Math.floor(total / min)));
        const sizes = segments.map((s) => s.end - s.start);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.max(MAX_SEGMENT_BYTES, min) + 2 * 4096);
        if (segments.length > 1) expect(Math.min(...sizes)).toBeGreaterThanOrEqual(Math.min(min, 4096));
      }),
    );
  });
});

describe('segmentLayoutProblem', () => {
  it('names gaps, overlaps, short coverage, repeated indexes and impossible progress', () => {
    expect(segmentLayoutProblem(10, [{ index: 0, start: 0, end: 4, done: 0 }, { index: 1, start: 5, end: 10, done: 0 }])).toMatch(/starts at 5/);
    expect(segmentLayoutProblem(10, [{ index: 0, start: 0, end: 6, done: 0 }, { index: 1, start: 4, end: 10, done: 0 }])).toMatch(/starts at 4/);
    expect(segmentLayoutProblem(10, [{ index: 0, start: 0, end: 8, done: 0 }])).toMatch(/cover 8 bytes of 10/);
    expect(segmentLayoutProblem(10, [{ index: 0, start: 0, end: 5, done: 0 }, { index: 0, start: 5, end: 10, done: 0 }])).toMatch(/repeat/);
    expect(segmentLayoutProblem(10, [{ index: 0, start: 0, end: 10, done: 11 }])).toMatch(/more bytes done/);
    expect(segmentLayoutProblem(10, [{ index: 1, start: 5, end: 10, done: 5 }, { index: 0, start: 0, end: 5, done: 2 }])).toBeUndefined();
  });

  it('durableExtent is the end of the furthest durable byte', () => {
    expect(durableExtent([{ index: 0, start: 0, end: 5, done: 2 }, { index: 1, start: 5, end: 10, done: 0 }])).toBe(2);
    expect(durableExtent([{ index: 0, start: 0, end: 5, done: 0 }, { index: 1, start: 5, end: 10, done: 3 }])).toBe(8);
  });
});

describe('chooseSplit', () => {
  it('halves the segment with the most bytes still to come, page-aligned and past what its connection received', () => {
    const split = chooseSplit([
      { index: 0, end: 32 * MiB, reach: 30 * MiB },
      { index: 1, end: 64 * MiB, reach: 40 * MiB + 5 },
      { index: 2, end: 96 * MiB, reach: 90 * MiB },
    ], 2 * MiB);
    expect(split?.index).toBe(1);
    expect(split!.at % 4096).toBe(0);
    expect(split!.at).toBeGreaterThan(40 * MiB + 5);
    expect(Math.abs(split!.at - 52 * MiB)).toBeLessThanOrEqual(4096);
  });

  it('leaves segments alone when either half would be smaller than the minimum piece', () => {
    expect(chooseSplit([{ index: 0, end: 10 * MiB, reach: 7 * MiB }], 2 * MiB)).toBeUndefined();
    expect(chooseSplit([], 2 * MiB)).toBeUndefined();
  });

  it('always cuts strictly inside the unreceived part, leaving both pieces at least the minimum', () => {
    fc.assert(fc.property(fc.nat(1 << 30), fc.nat(1 << 30), fc.integer({ min: 1, max: 8 * MiB }), (a, b, min) => {
      const [reach, end] = a < b ? [a, b] : [b, a];
      const split = chooseSplit([{ index: 3, end, reach }], min);
      if (split === undefined) return;
      expect(split.at - reach).toBeGreaterThanOrEqual(min);
      expect(end - split.at).toBeGreaterThanOrEqual(min);
    }));
  });
});
