// Where a file goes when its place is given rather than decided: a workflow's loader looks a model up by its exact
// name inside one ComfyUI folder, so `<directory>/<name>` wins over the header's routing and the path template.
// Pure: the folder lists come from destinations.ts, the disk from the caller.
import { err, ok, type Result } from 'neverthrow';
import { sanitizeFileName } from '../lib/file-name.js';
import { pickModelDir, type FolderAliases, type ModelDir, type ModelRoots } from './destinations.js';
import { canonicalFolderKey, NON_MODEL_FOLDER_KEYS } from './folders.js';
import { isInside, joinPath, normalizePath } from '../lib/paths.js';

/** A ComfyUI folder key (`loras`, `text_encoders`, a custom node's `pulid`…) and the name its loader asks for. */
export interface PinnedTarget {
  readonly directory: string;
  readonly name: string;
}

export interface PinnedError {
  readonly code: 'TARGET_INVALID' | 'NO_MODEL_DIR';
  readonly message: string;
}

/** Room after the stem for a sidecar's suffix, as for every placed file. */
const STEM_RESERVE_BYTES = '.metadata.json'.length;

/**
 * The name as ComfyUI's `folder_paths.get_full_path` reads it before it joins it to each folder
 * (`os.path.relpath(os.path.join("/", name), "/")`): relative, and a `..` cannot climb out of the folder.
 */
export function comfyLookupName(name: string): string {
  return normalizePath(`/${name}`).slice(1);
}

/**
 * A folder key as the workflow gives it, checked: its legacy names mapped (`unet`, `clip`), and nothing a path
 * could be built to escape with (a custom node's key may hold a subfolder, `ultralytics/bbox`).
 */
export function pinnedFolderKey(directory: string): Result<string, PinnedError> {
  const key = canonicalFolderKey(directory.trim());
  const segments = key.split('/');
  const safe = key !== '' && segments.every((segment) => segment !== '.' && segment !== '..' && segment !== '' && sanitizeFileName(segment) === segment);
  if (!safe) return err({ code: 'TARGET_INVALID', message: `"${directory.slice(0, 100)}" is not a ComfyUI model folder name (such as loras or text_encoders)` });
  if (NON_MODEL_FOLDER_KEYS.has(key)) return err({ code: 'TARGET_INVALID', message: `${key} is not a folder of models: nothing is downloaded into it` });
  return ok(key);
}

/** A target as it is recorded: the folder key checked and canonical, the name as the loader looks it up. */
export function normalizePinnedTarget(target: PinnedTarget): Result<PinnedTarget, PinnedError> {
  const name = comfyLookupName(target.name);
  if (name === '' || name === '.') return err({ code: 'TARGET_INVALID', message: `"${target.name.slice(0, 100)}" names no file` });
  return pinnedFolderKey(target.directory).map((directory) => ({ directory, name }));
}

/**
 * The directories ComfyUI searches for a folder key, in its order. A key ComfyUI itself does not know belongs to a
 * custom node, which registers `<models>/<key>` (plus any extra_model_paths.yaml entry for it).
 */
export function folderSearchDirs(roots: ModelRoots, key: string, modelsDir: string | null): readonly ModelDir[] {
  const known = roots.get(key);
  if (known && known.length > 0) return known;
  return modelsDir ? [{ folder: key, path: joinPath(modelsDir, key), root: joinPath(modelsDir), source: 'comfyui', isDefault: false }] : [];
}

export interface PinnedDestinationInput {
  readonly roots: ModelRoots;
  readonly modelsDir: string | null;
  readonly aliases?: FolderAliases;
  readonly preferredRoot?: string | null;
}

export interface PinnedDestination {
  /** Absolute path of the file. */
  readonly path: string;
  /** The folder key the file is in. */
  readonly folder: string;
  /** The name below its folder as it will be on disk. */
  readonly name: string;
  /** True when sanitising changed the name: the loader will not find the file under the workflow's name. */
  readonly renamed: boolean;
}

/**
 * `<directory>/<name>` in the first folder ComfyUI searches for that key (or the configured root's), the name
 * sanitised segment by segment like every file name comfyui-dl writes.
 */
export function pinnedDestination(input: PinnedDestinationInput, target: PinnedTarget): Result<PinnedDestination, PinnedError> {
  const key = pinnedFolderKey(target.directory);
  if (key.isErr()) return err(key.error);
  const folder = key.value;
  const wanted = comfyLookupName(target.name);
  const segments = wanted.split(/[/\\]/).filter((segment) => segment !== '');
  if (segments.length === 0) return err({ code: 'TARGET_INVALID', message: `"${target.name.slice(0, 100)}" names no file` });
  const last = segments.length - 1;
  const safe = segments.map((segment, index) => sanitizeFileName(segment, index === last ? { stemReserveBytes: STEM_RESERVE_BYTES } : {}));
  const dir = (input.roots.get(folder)?.length ? pickModelDir(input.roots, folder, input.preferredRoot, input.aliases) : undefined)
    ?? folderSearchDirs(input.roots, folder, input.modelsDir)[0];
  if (!dir) return err({ code: 'NO_MODEL_DIR', message: `no model directory is configured for the ${folder} folder` });
  const path = joinPath(dir.path, ...safe);
  // Sanitised segments cannot climb out; this guards the guarantee itself.
  if (!isInside(path, dir.path) || path === joinPath(dir.path)) return err({ code: 'TARGET_INVALID', message: `"${target.name.slice(0, 100)}" leaves the ${folder} folder` });
  const name = safe.join('/');
  return ok({ path, folder, name, renamed: name !== wanted });
}
