// Choosing a version's preview image under an NSFW ceiling, and naming the file by what the bytes really are
// (CDNs and other tools mislabel: Civitai Helper names every preview `.png`).
import type { PreviewExtension } from './names.js';

/** CivitAI's NSFW levels are bit flags: 1 PG, 2 PG-13, 4 R, 8 X, 16 XXX, 32 blocked. */
export const NSFW_LEVEL = { PG: 1, PG13: 2, R: 4, X: 8, XXX: 16, BLOCKED: 32 } as const;

/** An entry of a version's `images` array, in either the current or the 2023 API shape. */
export interface PreviewCandidate {
  readonly url: string;
  /** A number today; a string ("None", "Soft", "Mature", "X") in 2023 samples. */
  readonly nsfwLevel?: number | string | null;
  /** 2023 samples: a boolean. */
  readonly nsfw?: boolean | string | null;
  /** 'image' | 'video'; absent in older samples (images). */
  readonly type?: string | null;
}

export interface PreviewChoice {
  readonly url: string;
  readonly nsfwLevel: number;
  readonly type: 'image' | 'video';
}

export interface PreviewPolicy {
  /** Highest acceptable level (e.g. NSFW_LEVEL.PG13). Images with an unknown level are never chosen. */
  readonly maxNsfwLevel: number;
  readonly allowVideo?: boolean;
}

const LEGACY_LEVELS: Readonly<Record<string, number>> = { none: 1, soft: 2, mature: 4, x: 8 };

/** The level of an image; undefined when unknown (unrated images count as unsafe). */
export function nsfwLevelOf(image: PreviewCandidate): number | undefined {
  const level = image.nsfwLevel;
  if (typeof level === 'number') return Number.isInteger(level) && level > 0 ? level : undefined;
  if (typeof level === 'string') return LEGACY_LEVELS[level.toLowerCase()];
  if (typeof image.nsfw === 'boolean') return image.nsfw ? NSFW_LEVEL.R : NSFW_LEVEL.PG;
  if (typeof image.nsfw === 'string') return LEGACY_LEVELS[image.nsfw.toLowerCase()];
  return undefined;
}

/** The first image (or video, if allowed) at or below the ceiling, in CivitAI's order. */
export function pickPreview(images: readonly PreviewCandidate[], policy: PreviewPolicy): PreviewChoice | null {
  for (const image of images) {
    const type = image.type === 'video' ? 'video' : image.type === 'image' || !image.type ? 'image' : null;
    if (type === null || (type === 'video' && policy.allowVideo === false) || image.url === '') continue;
    const level = nsfwLevelOf(image);
    if (level !== undefined && level <= policy.maxNsfwLevel) return { url: image.url, nsfwLevel: level, type };
  }
  return null;
}

const CONTENT_TYPES: Readonly<Record<string, PreviewExtension>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
};

/** ISO-media brands that are still images (AVIF, HEIF), not videos. */
const IMAGE_BRANDS = ['avif', 'avis', 'heic', 'heix', 'hevc', 'mif1', 'msf1'];

/** Enough leading bytes to recognise every supported format. */
export const SNIFF_BYTES = 12;

const startsWith = (bytes: Uint8Array, offset: number, ascii: string) =>
  [...ascii].every((char, i) => bytes[offset + i] === char.charCodeAt(0));

/**
 * The extension for a preview: from the magic bytes when at least 12 are given (they are authoritative: a body
 * that is none of PNG/JPEG/WebP/MP4, such as an HTML error page, gets null), else from the Content-Type.
 */
export function previewExtension(firstBytes: Uint8Array | null, contentType?: string | null): PreviewExtension | null {
  if (firstBytes && firstBytes.length >= SNIFF_BYTES) {
    if (firstBytes[0] === 0x89 && startsWith(firstBytes, 1, 'PNG\r\n\x1a\n')) return 'png';
    if (firstBytes[0] === 0xff && firstBytes[1] === 0xd8 && firstBytes[2] === 0xff) return 'jpeg';
    if (startsWith(firstBytes, 0, 'RIFF') && startsWith(firstBytes, 8, 'WEBP')) return 'webp';
    if (startsWith(firstBytes, 4, 'ftyp')) return IMAGE_BRANDS.some((brand) => startsWith(firstBytes, 8, brand)) ? null : 'mp4';
    return null;
  }
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return CONTENT_TYPES[type] ?? null;
}
