import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayStrings, plainText, terminalJson } from '../../src/lib/terminal-text.js';

// Anything a terminal or a log reader could act on: C0 (ESC, CR, LF, BEL…), DEL, C1, bidi formatting.
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

describe('plainText', () => {
  it.each([
    ['a window title (OSC ended by BEL)', '\x1b]0;pwned\x07model.safetensors', 'model.safetensors'],
    ['an OSC ended by ST', 'a\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\b', 'alinkb'],
    ['colours and cursor moves (CSI)', '\x1b[31mred\x1b[0m \x1b[2J\x1b[1;1Hx', 'red x'],
    ['a DCS string', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['8-bit CSI and OSC', 'a\x9b31mb\x9d0;t\x07c', 'a31mbc'],
    ['an ESC at the very end', 'name\x1b', 'name'],
    ['CR LF from a %0d%0a filter', 'format \r\nX-Injected: 1', 'format  X-Injected: 1'],
    ['a bidi override that reverses an extension', 'invoice\u202egnp.exe', 'invoicegnp.exe'],
    ['isolates and marks', '\u2066a\u2069\u200e\u200fb\u061c', 'ab'],
    ['NUL, BEL, backspace and DEL', 'a\0b\x07c\bd\x7fe', 'abcde'],
    ['tabs and vertical whitespace', 'a\tb\vc\fd\u2028e', 'a b c d e'],
    ['plain text and emoji', 'Flux.1 D — LoRA ✓ 🎨', 'Flux.1 D — LoRA ✓ 🎨'],
  ])('one line: %s', (_label, input, expected) => {
    expect(plainText(input)).toBe(expected);
  });

  it('keep-lines keeps newlines and tabs and turns CR LF into LF', () => {
    expect(plainText('line 1\r\nline\t2\rline 3\x1b[1A\u202e', 'keep-lines')).toBe('line 1\nline\t2\nline 3');
  });

  it('never leaves an active character, whatever the input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      expect(plainText(s)).not.toMatch(ACTIVE);
      expect(plainText(s, 'keep-lines').replace(/[\n\t]/g, '')).not.toMatch(ACTIVE);
    }), { numRuns: 300 });
  });
});

describe('terminalJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { name: 'a\u202eb\x9bc\x7f\u2028', ok: '\x1b[31m' };
    const text = terminalJson(value, 2);
    expect(text.replace(/\n/g, '')).not.toMatch(ACTIVE);
    expect(text).toContain('\\u202e');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('round-trips any value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const text = terminalJson(v);
      expect(text.replace(/\n/g, '')).not.toMatch(ACTIVE);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
    }));
  });
});

describe('displayStrings', () => {
  it('strips every string of a JSON body for the desktop app', () => {
    expect(JSON.parse(JSON.stringify({ a: ['x\u202ey', { b: 'p\x1b]0;t\x07q\nr' }], n: 1 }, displayStrings))).toEqual({ a: ['xy', { b: 'pq\nr' }], n: 1 });
  });
});
