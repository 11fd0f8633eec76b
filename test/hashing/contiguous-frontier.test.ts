import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ContiguousFrontier } from '../../src/hashing/contiguous-frontier.js';

/** The obvious model: a byte map and the length of its leading run of written bytes. */
function modelFrontier(written: boolean[]): number {
  const first = written.indexOf(false);
  return first === -1 ? written.length : first;
}

describe('ContiguousFrontier', () => {
  it('advances only over a gap-free prefix', () => {
    const frontier = new ContiguousFrontier();
    expect(frontier.add(10, 20)).toBe(0);
    expect(frontier.add(30, 40)).toBe(0);
    expect(frontier.add(0, 10)).toBe(20);
    expect(frontier.add(20, 30)).toBe(40);
    frontier.reset();
    expect(frontier.value).toBe(0);
    expect(frontier.add(0, 5)).toBe(5);
  });

  it('matches a byte-map model for any order and overlap of ranges', () => {
    const size = 64;
    const range = fc
      .tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size }))
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    fc.assert(
      fc.property(fc.array(range, { maxLength: 40 }), (ranges) => {
        const frontier = new ContiguousFrontier();
        const written = new Array<boolean>(size).fill(false);
        for (const [start, end] of ranges) {
          for (let i = start; i < end; i++) written[i] = true;
          expect(frontier.add(start, end)).toBe(modelFrontier(written));
        }
      }),
    );
  });
});
