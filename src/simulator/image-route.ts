// Preview images and avatars (stand-in for image.civitai.com): real bytes of the declared size and format.
import { encodeImage, IMAGE_CONTENT_TYPES } from './image-bytes.js';
import type { World } from './world.js';
import type { ImageFormat } from './world-spec.js';

/** `/images/<account>/<guid>/<transform>/<id or name>.<format>`, the shape of CivitAI's edge URLs. */
const IMAGE_PATH = /^\/images\/[^/]+\/[^/]+\/[^/]+\/([^/]+)\.(jpeg|png|webp)$/;
const AVATAR_SIZE = 96;

const encoded = new Map<string, Buffer>();

export interface ImageAnswer {
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** The image a path names: a world image by id, or any other name as a PNG avatar; undefined otherwise. */
export function imageAt(world: World, path: string): ImageAnswer | undefined {
  const match = IMAGE_PATH.exec(path);
  if (!match) return undefined;
  const [, name = '', extension] = match;
  const format = extension as ImageFormat;
  const image = /^\d+$/.test(name) ? world.image(Number(name)) : undefined;
  if (!image && format !== 'png') return undefined;
  const [width, height, seed] = image ? [image.width, image.height, image.id] : [AVATAR_SIZE, AVATAR_SIZE, name.length];
  const key = `${format} ${width}x${height} ${seed}`;
  let bytes = encoded.get(key);
  if (!bytes) {
    bytes = encodeImage(format, width, height, { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 193) % 256 });
    encoded.set(key, bytes);
  }
  return { contentType: IMAGE_CONTENT_TYPES[format], bytes };
}
