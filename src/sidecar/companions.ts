// The files that belong to a model file and sit beside it under its stem: sidecars (ours and Lora-Manager's,
// Civitai Helper's, Stability Matrix's) and previews of every kind. When the model moves, they follow it.
import { constants } from 'node:fs';
import { copyFile, rename, stat, unlink } from 'node:fs/promises';
import { besideModel, CIVITAI_HELPER_SUFFIX, EXISTING_PREVIEW_SUFFIXES, METADATA_SUFFIX, metadataPathFor, modelStem, STABILITY_MATRIX_SUFFIX } from './names.js';
import { findExistingPreview, readSidecar, writeJsonAtomic } from './sidecar-file.js';

export const COMPANION_SUFFIXES: readonly string[] = [METADATA_SUFFIX, CIVITAI_HELPER_SUFFIX, STABILITY_MATRIX_SUFFIX, ...EXISTING_PREVIEW_SUFFIXES];

export interface CompanionMove {
  readonly from: string;
  readonly to: string;
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** A rename, or across filesystems a copy that never overwrites and then the removal of the original. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EXDEV') throw cause;
    await copyFile(from, to, constants.COPYFILE_EXCL);
    await unlink(from);
  }
}

/**
 * After a model file moved from `from` to `to` (absolute paths), whoever moved it: what was left beside its old
 * path moves beside its new one (never over a file already there, and not at all while another model file still
 * uses the old stem), and the sidecar beside the new path is pointed at it (`file_path`, `file_name`, and a
 * `preview_url` that named a moved preview or a file that is gone). Returns what moved.
 */
export async function followModelMove(from: string, to: string, modelExtensions: readonly string[]): Promise<CompanionMove[]> {
  const stemShared = await Promise.all(modelExtensions.map((ext) => besideModel(from, ext)).filter((p) => p !== from).map(exists));
  const moved: CompanionMove[] = [];
  if (!stemShared.includes(true) && !(await exists(from))) {
    for (const suffix of COMPANION_SUFFIXES) {
      const source = besideModel(from, suffix);
      const target = besideModel(to, suffix);
      if (!(await exists(source)) || (await exists(target))) continue;
      await moveFile(source, target);
      moved.push({ from: source, to: target });
    }
  }
  await relinkSidecar(to, moved);
  return moved;
}

async function relinkSidecar(modelPath: string, moved: readonly CompanionMove[]): Promise<void> {
  const path = metadataPathFor(modelPath);
  const sidecar = await readSidecar(path);
  if (sidecar.kind !== 'valid') return;
  const value = sidecar.value;
  const updated: Record<string, unknown> = { ...value, file_path: modelPath, file_name: modelStem(modelPath) };
  const preview = typeof value.preview_url === 'string' ? value.preview_url : '';
  const movedPreview = moved.find((m) => m.from === preview);
  if (movedPreview) updated.preview_url = movedPreview.to;
  else if (preview.startsWith('/') && !(await exists(preview))) updated.preview_url = (await findExistingPreview(modelPath)) ?? preview;
  if (Object.entries(updated).some(([key, v]) => value[key] !== v)) await writeJsonAtomic(path, updated);
}
