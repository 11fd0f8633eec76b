import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_NAME_BYTES, sanitizeFileName, utf8Length } from '../../src/lib/file-name.js';

describe('sanitizeFileName', () => {
  it.each([
    ['../../.bashrc', '_bashrc'],
    ['/etc/passwd', 'passwd'],
    ['a/b.safetensors', 'b.safetensors'],
    ['a\\b.safetensors', 'b.safetensors'],
    ['models/../../x.safetensors', 'x.safetensors'],
    ['.', 'unnamed'],
    ['..', 'unnamed'],
    ['', 'unnamed'],
    ['   ', 'unnamed'],
    ['a/..', 'unnamed'],
    ['lo\u0000ra\u001f.safe\u007ftensors', 'lora.safetensors'],
    ['evil\u202etxt.safetensors', 'eviltxt.safetensors'],
    ['-rf.safetensors', '_rf.safetensors'],
    ['model.safetensors.part', 'model.safetensors.part_'],
    ["filename*=UTF-8''..%2F..%2Fx", "filename_=UTF-8''..%2F..%2Fx"],
    ['CON.safetensors', '_CON.safetensors'],
    ['lpt1', '_lpt1'],
    ['name. . .', 'name'],
    ['what?<>|:*".safetensors', 'what_______.safetensors'],
    ['Ünïcødé 🎨 LoRA.safetensors', 'Ünïcødé 🎨 LoRA.safetensors'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('cuts long names to 255 bytes, keeping the extension and whole characters', () => {
    const long = `${'é'.repeat(200)}.safetensors`;
    const result = sanitizeFileName(long);
    expect(utf8Length(result)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(result.endsWith('.safetensors')).toBe(true);
    expect(result.startsWith('é'.repeat(10))).toBe(true);
    expect(result).not.toContain('\ufffd');
  });

  it('leaves room for a sidecar suffix when asked', () => {
    const result = sanitizeFileName(`${'a'.repeat(300)}.safetensors`, { stemReserveBytes: '.metadata.json'.length });
    const stem = result.slice(0, -'.safetensors'.length);
    expect(utf8Length(`${stem}.metadata.json`)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
  });

  it('always returns one safe, non-empty component of at most 255 bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (input) => {
      const result = sanitizeFileName(input);
      expect(result.length).toBeGreaterThan(0);
      expect([...result].some((char) => char === '/' || char === '\\' || char.charCodeAt(0) < 0x20 || char === '\u007f')).toBe(false);
      expect(['.', '..']).not.toContain(result);
      expect(result.startsWith('.')).toBe(false);
      expect(result.startsWith('-')).toBe(false);
      expect(utf8Length(result)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
      expect(sanitizeFileName(result)).toBe(result);
    }), { numRuns: 300 });
  });
});
