// Sidecar files on disk. Writes are atomic (temp file in the same folder, fsync, rename, fsync the folder), so a
// crash leaves the old sidecar or the new one, never half of one. A sidecar that does not parse is kept as a
// `.bak` copy before it is replaced: it may hold a user's notes in a form we do not understand.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errAsync, ResultAsync } from 'neverthrow';
import { idsFromCivitaiHelper, idsFromMetadataJson, idsFromStabilityMatrix, type SidecarIds } from './foreign.js';
import { buildSidecar, mergeSidecar, type SidecarInput } from './metadata.js';
import { besideModel, CIVITAI_HELPER_SUFFIX, EXISTING_PREVIEW_SUFFIXES, metadataPathFor, previewPathFor, STABILITY_MATRIX_SUFFIX } from './names.js';
import { previewExtension } from './preview.js';

/** Real sidecars are tens of KB; a far larger file is not one we should load. */
export const MAX_SIDECAR_BYTES = 32 * 1024 * 1024;

export type SidecarRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'valid'; readonly value: Record<string, unknown> }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface SidecarError {
  readonly code: 'SIDECAR_WRITE_FAILED';
  readonly message: string;
}

/** Reads a JSON object sidecar; anything unreadable as one is 'invalid' (never an exception). */
export async function readSidecar(path: string): Promise<SidecarRead> {
  let text: string;
  try {
    if ((await stat(path)).size > MAX_SIDECAR_BYTES) return { kind: 'invalid', reason: `larger than ${MAX_SIDECAR_BYTES} bytes` };
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (isErrno(cause, 'ENOENT')) return { kind: 'absent' };
    return { kind: 'invalid', reason: describe(cause) };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { kind: 'valid', value: value as Record<string, unknown> };
    return { kind: 'invalid', reason: 'not a JSON object' };
  } catch (cause) {
    return { kind: 'invalid', reason: `not valid JSON: ${describe(cause)}` };
  }
}

/** Atomically replaces `path` with `value` as UTF-8 JSON (2-space indent, as Lora-Manager writes). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Atomically replaces `path` with `body`: temp file in the same folder, fsync, rename, fsync the folder. */
export async function writeFileAtomic(path: string, body: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  // Hidden and short: invisible to ComfyUI and within NAME_MAX whatever the target's name.
  const temp = join(directory, `.comfyui-dl-${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw cause;
  }
  const folder = await open(directory, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Copies `path` to the first free `<path>.bak`, `<path>.bak.1`, … and returns the copy's path. */
export async function backUp(path: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const target = attempt === 0 ? `${path}.bak` : `${path}.bak.${attempt}`;
    try {
      await copyFile(path, target, constants.COPYFILE_EXCL);
      return target;
    } catch (cause) {
      if (!isErrno(cause, 'EEXIST')) throw cause;
    }
  }
}

export interface PreviewError {
  readonly code: 'PREVIEW_NOT_MEDIA' | 'PREVIEW_WRITE_FAILED';
  readonly message: string;
}

/** Saves downloaded preview bytes as `<stem>.preview.<ext>`, the extension taken from what the bytes are. */
export function savePreview(modelPath: string, bytes: Uint8Array, contentType: string | null): ResultAsync<string, PreviewError> {
  const extension = previewExtension(bytes, contentType);
  if (!extension) {
    return errAsync({ code: 'PREVIEW_NOT_MEDIA', message: `The preview for ${basename(modelPath)} is not a PNG, JPEG, WebP or MP4 file (Content-Type ${contentType ?? 'absent'}).` });
  }
  const path = previewPathFor(modelPath, extension);
  return ResultAsync.fromPromise(writeFileAtomic(path, bytes), (cause): PreviewError => ({
    code: 'PREVIEW_WRITE_FAILED',
    message: `Could not write ${path}: ${describe(cause)}`,
  })).map(() => path);
}

export interface SidecarWritten {
  readonly path: string;
  /** Where an unreadable previous sidecar was copied, if there was one. */
  readonly backupPath: string | null;
  readonly sidecar: Record<string, unknown>;
}

const isFile = (path: string): Promise<boolean> => stat(path).then((s) => s.isFile(), () => false);

/** The first preview of any kind beside the model (see EXISTING_PREVIEW_SUFFIXES), or null. */
export async function findExistingPreview(modelPath: string): Promise<string | null> {
  for (const suffix of EXISTING_PREVIEW_SUFFIXES) {
    const path = besideModel(modelPath, suffix);
    if (await isFile(path)) return path;
  }
  return null;
}

/** Builds our sidecar, merges it with the one on disk (if any), and writes it atomically. */
export function writeModelSidecar(input: SidecarInput): ResultAsync<SidecarWritten, SidecarError> {
  const path = metadataPathFor(input.filePath);
  return ResultAsync.fromPromise(
    (async () => {
      const existing = await readSidecar(path);
      const backupPath = existing.kind === 'invalid' ? await backUp(path) : null;
      const held = existing.kind === 'valid' ? existing.value : null;
      const previewUrl = typeof held?.preview_url === 'string' ? held.preview_url : '';
      const existingPreviewPresent = previewUrl.startsWith('/') && (await isFile(previewUrl));
      const sidecar = mergeSidecar(held, buildSidecar(input), { existingPreviewPresent });
      await writeJsonAtomic(path, sidecar);
      return { path, backupPath, sidecar };
    })(),
    (cause): SidecarError => ({ code: 'SIDECAR_WRITE_FAILED', message: `Could not write ${path}: ${describe(cause)}` }),
  );
}

/**
 * Identity from whatever sidecars sit next to `modelPath` (ours/Lora-Manager's first, then Stability Matrix's,
 * then Civitai Helper's); fields missing in one are filled from the next.
 */
export async function readSidecarIds(modelPath: string): Promise<SidecarIds> {
  const sources: readonly [string, (json: unknown) => SidecarIds][] = [
    [metadataPathFor(modelPath), idsFromMetadataJson],
    [besideModel(modelPath, STABILITY_MATRIX_SUFFIX), idsFromStabilityMatrix],
    [besideModel(modelPath, CIVITAI_HELPER_SUFFIX), (json) => idsFromCivitaiHelper(json, basename(modelPath))],
  ];
  let found: SidecarIds = {};
  for (const [path, read] of sources) {
    const sidecar = await readSidecar(path);
    if (sidecar.kind === 'valid') found = { ...read(sidecar.value), ...found };
  }
  return found;
}

function isErrno(cause: unknown, code: string): boolean {
  return typeof cause === 'object' && cause !== null && 'code' in cause && cause.code === code;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
