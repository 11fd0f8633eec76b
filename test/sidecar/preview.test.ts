import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { previewPathFor, metadataPathFor, modelStem } from '../../src/sidecar/names.js';
import { NSFW_LEVEL, nsfwLevelOf, pickPreview, previewExtension, type PreviewCandidate } from '../../src/sidecar/preview.js';

const images: PreviewCandidate[] = [
  { url: 'https://cdn/x.jpeg', nsfwLevel: 8, type: 'image' },
  { url: 'https://cdn/clip.mp4', nsfwLevel: 1, type: 'video' },
  { url: 'https://cdn/r.jpeg', nsfwLevel: 4, type: 'image' },
  { url: 'https://cdn/pg.jpeg', nsfwLevel: 1, type: 'image' },
];

describe('pickPreview', () => {
  it('takes the first image at or below the ceiling', () => {
    expect(pickPreview(images, { maxNsfwLevel: NSFW_LEVEL.PG })?.url).toBe('https://cdn/clip.mp4');
    expect(pickPreview(images, { maxNsfwLevel: NSFW_LEVEL.PG, allowVideo: false })?.url).toBe('https://cdn/pg.jpeg');
    expect(pickPreview(images, { maxNsfwLevel: NSFW_LEVEL.R, allowVideo: false })).toEqual({ url: 'https://cdn/r.jpeg', nsfwLevel: 4, type: 'image' });
    expect(pickPreview(images, { maxNsfwLevel: NSFW_LEVEL.XXX })?.url).toBe('https://cdn/x.jpeg');
  });

  it('never picks an image whose level is unknown, and may pick none', () => {
    expect(pickPreview([{ url: 'a' }, { url: 'b', nsfwLevel: 0 }], { maxNsfwLevel: NSFW_LEVEL.XXX })).toBeNull();
    expect(pickPreview([{ url: 'x', nsfwLevel: 16 }], { maxNsfwLevel: NSFW_LEVEL.PG13 })).toBeNull();
  });

  it('understands the 2023 API shape', async () => {
    expect(nsfwLevelOf({ url: 'a', nsfwLevel: 'Mature' })).toBe(4);
    expect(nsfwLevelOf({ url: 'a', nsfw: false })).toBe(1);
    const legacy = JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'civitai', 'model-version-1318.json'), 'utf8')) as { images: PreviewCandidate[] };
    const choice = pickPreview(legacy.images, { maxNsfwLevel: NSFW_LEVEL.PG });
    expect(choice?.nsfwLevel).toBe(1);
    expect(choice?.type).toBe('image');
  });

  it('works on the modern fixture', async () => {
    const modern = JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'civitai', 'model-version-1387174.json'), 'utf8')) as { images: PreviewCandidate[] };
    expect(pickPreview(modern.images, { maxNsfwLevel: NSFW_LEVEL.PG })?.url).toMatch(/56547310\.jpeg$/);
  });
});

const padded = (bytes: number[] | string) => {
  const head = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return Buffer.concat([head, Buffer.alloc(16)]);
};

describe('previewExtension', () => {
  it('names by magic bytes, whatever the content type claims', () => {
    expect(previewExtension(padded([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/jpeg')).toBe('png');
    expect(previewExtension(padded([0xff, 0xd8, 0xff, 0xe0]), 'image/png')).toBe('jpeg');
    expect(previewExtension(padded('RIFF\x00\x00\x00\x00WEBPVP8 '))).toBe('webp');
    expect(previewExtension(padded('\x00\x00\x00\x18ftypisom'))).toBe('mp4');
  });

  it('refuses bodies that are no supported media (an HTML error page, AVIF)', () => {
    expect(previewExtension(padded('<!DOCTYPE html><html>'), 'image/png')).toBeNull();
    expect(previewExtension(padded('\x00\x00\x00\x1cftypavif'))).toBeNull();
  });

  it('falls back to the content type before any bytes are known', () => {
    expect(previewExtension(null, 'image/webp; charset=binary')).toBe('webp');
    expect(previewExtension(null, 'text/html')).toBeNull();
  });
});

describe('sidecar names', () => {
  it('puts sidecars next to the model, named by its stem', () => {
    expect(modelStem('/m/loras/a.b.safetensors')).toBe('a.b');
    expect(metadataPathFor('/m/loras/a.b.safetensors')).toBe('/m/loras/a.b.metadata.json');
    expect(previewPathFor('/m/loras/a.b.safetensors', 'jpeg')).toBe('/m/loras/a.b.preview.jpeg');
  });
});
