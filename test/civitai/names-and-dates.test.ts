import { describe, it, expect } from 'vitest';
import { fileNameFromContentDisposition, fileNameFromSignedUrl, safeFileName } from '../../src/civitai/content-disposition.js';
import { parseCivitaiTimestamp } from '../../src/civitai/timestamps.js';

describe('file names from Content-Disposition', () => {
  it.each([
    ['attachment; filename="BodHor-V1.safetensors"', 'BodHor-V1.safetensors'],
    ['attachment; filename=plain.ckpt', 'plain.ckpt'],
    ['attachment; filename="a \\"q\\".pt"', 'a "q".pt'],
    ["attachment; filename=\"fallback.bin\"; filename*=UTF-8''%E9%BA%A6%E6%A9%98.safetensors", '麦橘.safetensors'],
    ['attachment; filename="../../etc/x"', undefined],
    ['attachment; filename="..\\\\evil"', undefined],
    ['attachment; filename=".."', undefined],
    ['attachment; filename="a\u0000b"', undefined],
    ['attachment', undefined],
    [`attachment; filename="${'n'.repeat(300)}"`, undefined],
  ])('%s', (header, expected) => {
    expect(fileNameFromContentDisposition(header)).toBe(expected);
  });

  it('rejects empty and dot names', () => {
    expect(safeFileName(' ')).toBeUndefined();
    expect(safeFileName('.')).toBeUndefined();
    expect(safeFileName('ok.gguf')).toBe('ok.gguf');
  });

  it('reads R2 and B2 presigned URLs', () => {
    const r2 = new URL('https://x.r2.cloudflarestorage.com/1362997/model/bodhorV1.eq23.safetensors?X-Amz-Expires=86400&response-content-disposition=attachment%3B%20filename%3D%22BodHor-V1.safetensors%22&X-Amz-Signature=7d');
    expect(fileNameFromSignedUrl(r2)).toBe('BodHor-V1.safetensors');
    const b2 = new URL('https://b2.civitai.com/file/civitai-modelfiles/model/k?Authorization=s&b2ContentDisposition=attachment%3B%20filename%3D%22x.safetensors%22');
    expect(fileNameFromSignedUrl(b2)).toBe('x.safetensors');
    expect(fileNameFromSignedUrl(new URL('https://b2.civitai.com/file/k?Authorization=s'))).toBeUndefined();
  });
});

describe('parseCivitaiTimestamp', () => {
  it.each([
    ['2025-02-08T11:29:04.487Z', Date.UTC(2025, 1, 8, 11, 29, 4, 487)],
    ['2023-07-28T20:27:03.5', Date.UTC(2023, 6, 28, 20, 27, 3, 500)],
    ['2023-10-05T13:31:16.745', Date.UTC(2023, 9, 5, 13, 31, 16, 745)],
    ['2024-01-01T02:00:00+02:00', Date.UTC(2024, 0, 1, 0, 0, 0)],
    ['2024-03-04', Date.UTC(2024, 2, 4)],
    ['yesterday', undefined],
    ['', undefined],
    [null, undefined],
  ])('%s', (text, expected) => {
    expect(parseCivitaiTimestamp(text)).toBe(expected);
  });
});
