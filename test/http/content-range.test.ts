import { describe, expect, it } from 'vitest';
import { parseContentRange } from '../../src/http/content-range.js';

describe('parseContentRange', () => {
  it.each([
    ['bytes 0-0/123', { first: 0, last: 0, total: 123 }],
    [' bytes 100-199/1000 ', { first: 100, last: 199, total: 1000 }],
    ['bytes 5-9/*', { first: 5, last: 9, total: undefined }],
  ])('reads %j', (value, expected) => {
    expect(parseContentRange(value)).toEqual(expected);
  });

  it.each([undefined, '', 'bytes */123', 'bytes 0-/123', 'items 0-1/2', 'bytes 0-1/12x', 'bytes=0-1/2'])('refuses %j', (value) => {
    expect(parseContentRange(value)).toBeUndefined();
  });
});
