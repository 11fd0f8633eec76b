// Names of the files that sit next to a model file. All are `<stem><suffix>`, where the stem is the model's file
// name without its last extension (`foo.safetensors` → `foo.metadata.json`), as Lora-Manager and the others do.
import { posix } from 'node:path';
import { joinPath, normalizePath } from '../lib/paths.js';

export const METADATA_SUFFIX = '.metadata.json';
export const CIVITAI_HELPER_SUFFIX = '.civitai.info';
export const STABILITY_MATRIX_SUFFIX = '.cm-info.json';

export type PreviewExtension = 'png' | 'jpeg' | 'webp' | 'mp4';

export function modelStem(modelPath: string): string {
  const name = posix.basename(normalizePath(modelPath));
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export function besideModel(modelPath: string, suffix: string): string {
  return joinPath(posix.dirname(normalizePath(modelPath)), modelStem(modelPath) + suffix);
}

export function metadataPathFor(modelPath: string): string {
  return besideModel(modelPath, METADATA_SUFFIX);
}

/** `<stem>.preview.<ext>`: the preview name most tools read (rgthree reads only `<stem>.<ext>`). */
export function previewPathFor(modelPath: string, extension: PreviewExtension): string {
  return besideModel(modelPath, `.preview.${extension}`);
}

/**
 * Previews other tools and people leave beside a model, any of which counts as "this model has a preview":
 * `<stem>.preview.<ext>` (ours, Lora-Manager's, Civitai Helper's, Stability Matrix's) and `<stem>.<ext>` (A1111,
 * rgthree, ComfyUI's own model previews), images and videos alike.
 */
export const PREVIEW_MEDIA_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'mp4', 'webm'] as const;
export const EXISTING_PREVIEW_SUFFIXES: readonly string[] = [
  ...PREVIEW_MEDIA_EXTENSIONS.map((ext) => `.preview.${ext}`),
  ...PREVIEW_MEDIA_EXTENSIONS.map((ext) => `.${ext}`),
];
