import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../src/config/json-syntax.js';

describe('findJsonSyntaxError', () => {
  it.each([
    ['{\n  "a": 1,\n}', 3, 1, "remove the comma before '}'"],
    ['{\n  // models\n  "a": 1\n}', 2, 3, 'comments are not allowed in JSON'],
    ["{'a': 1}", 1, 2, 'strings need double quotes'],
    ['{"a": 1 "b": 2}', 1, 9, "expected ',' or '}'"],
    ['{"a" 1}', 1, 6, "expected ':' after the key"],
    ['{"a": [1, 2', 1, 12, 'the text ends too early'],
    ['{"a": "x\ny"}', 1, 9, 'line breaks and control characters must be escaped inside strings'],
    ['{"a": 01}', 1, 8, "expected ',' or '}'"],
    ['{"a": 1} x', 1, 10, 'unexpected text after the end of the JSON value'],
    ['[1,]', 1, 4, "remove the comma before ']'"],
  ])('locates the error in %j', (text, line, column, reason) => {
    expect(JSON.parse.bind(null, text)).toThrow();
    expect(findJsonSyntaxError(text)).toEqual({ line, column, reason });
  });

  it('agrees with JSON.parse on which texts are valid', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', '"', "'", '/', ' '))
      .map(([json, at, insert]) => {
        const i = json.length === 0 ? 0 : at % json.length;
        return json.slice(0, i) + insert + json.slice(i + 1);
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), mutated, fc.string()), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(findJsonSyntaxError(text) === undefined).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});
