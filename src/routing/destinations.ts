// Where a routed file lands on disk: the model directories ComfyUI scans per folder (its own models dir plus
// extra_model_paths.yaml), the one chosen for writing, and a path template inside it. Every template value is
// untrusted (model and version names come from uploaders) and is reduced to one safe path component.
import { err, ok, type Result } from 'neverthrow';
import { sanitizeFileName } from '../lib/file-name.js';
import type { ExtraModelPathsSection } from './extra-model-paths.js';
import { canonicalFolderKey, COMFY_FOLDERS, folderDirNames, NON_MODEL_FOLDER_KEYS, type ComfyFolder } from './folders.js';
import { isInside, joinPath } from '../lib/paths.js';

export const DEFAULT_TEMPLATE = '{folder}/{baseModel}/{fileName}';
export const TEMPLATE_PLACEHOLDERS = ['folder', 'baseModel', 'type', 'modelName', 'versionName', 'modelId', 'versionId', 'fileName'] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/**
 * Room kept after a model file's stem so that a name-collision suffix (`_<8 hex digits>`) and then the longest
 * sidecar suffix (`.metadata.json`) still fit in 255 bytes.
 */
const STEM_RESERVE_BYTES = '_0123abcd'.length + '.metadata.json'.length;

export interface ModelDir {
  readonly folder: string;
  readonly path: string;
  /** The base this dir came from: ComfyUI's models dir or a yaml section's base_path. */
  readonly root: string;
  /** 'comfyui' or the extra_model_paths.yaml section name. */
  readonly source: string;
  readonly isDefault: boolean;
}

/** Folder key → directories in ComfyUI's search order. */
export type ModelRoots = ReadonlyMap<string, readonly ModelDir[]>;

/** The directory name to use per folder inside the models dir, when the user's tree has only another one. */
export type FolderAliases = Readonly<Partial<Record<ComfyFolder, string>>>;

export interface ModelRootsInput {
  /** ComfyUI's `models` directory (absolute), if there is one. */
  readonly modelsDir?: string | null;
  readonly extra?: readonly ExtraModelPathsSection[];
}

/**
 * The directories ComfyUI searches per folder key, in its order: its models folder's own directories (legacy names
 * included, in folder_paths.py's order), then each extra_model_paths.yaml path in file order, appended, or put
 * first when its section `is_default` (so the last default path read ends up first), a path already listed is
 * not added twice (a default one moves to the front), and keys ComfyUI does not know get their own list.
 */
export function buildModelRoots(input: ModelRootsInput): ModelRoots {
  const roots = new Map<string, ModelDir[]>();
  const modelsDir = input.modelsDir;
  if (modelsDir) {
    for (const folder of COMFY_FOLDERS) {
      roots.set(folder, folderDirNames(folder).map((name) => ({ folder, path: joinPath(modelsDir, name), root: joinPath(modelsDir), source: 'comfyui', isDefault: false })));
    }
  }
  for (const entry of (input.extra ?? []).flatMap((section) => section.paths)) {
    const folder = canonicalFolderKey(entry.key);
    const dir: ModelDir = { folder, path: entry.path, root: entry.basePath, source: entry.section, isDefault: entry.isDefault };
    const list = roots.get(folder);
    if (!list) {
      roots.set(folder, [dir]);
      continue;
    }
    const at = list.findIndex((existing) => existing.path === dir.path);
    if (at >= 0) {
      if (dir.isDefault && at > 0) list.unshift(...list.splice(at, 1));
    } else if (dir.isDefault) {
      list.unshift(dir);
    } else {
      list.push(dir);
    }
  }
  return roots;
}

/** Every directory ComfyUI searches for model files (not `custom_nodes` and the like), each once, in key order. */
export function modelSearchDirs(roots: ModelRoots): ModelDir[] {
  const seen = new Set<string>();
  return [...roots.values()].flat().filter((dir) => {
    if (NON_MODEL_FOLDER_KEYS.has(dir.folder) || seen.has(dir.path)) return false;
    seen.add(dir.path);
    return true;
  });
}

/** What a scan walks besides ComfyUI's models folder (which holds ComfyUI's own folders): the yaml's model folders. */
export function extraScanRoots(roots: ModelRoots): { path: string; folder: string }[] {
  return modelSearchDirs(roots).filter((dir) => dir.source !== 'comfyui').map((dir) => ({ path: dir.path, folder: dir.folder }));
}

/**
 * The directory a download of a folder goes to, always one ComfyUI searches: one under the configured root (a
 * section name or a base path) when it has one, else the first ComfyUI searches (an `is_default` one when there
 * is one). Of the models folder's alternative names (`unet` and `diffusion_models`, …) the one the user's tree
 * already has is taken before one that would have to be created.
 */
export function pickModelDir(roots: ModelRoots, folder: string, preferredRoot?: string | null, aliases: FolderAliases = {}): ModelDir | undefined {
  if (NON_MODEL_FOLDER_KEYS.has(folder)) return undefined;
  const dirs = roots.get(folder) ?? [];
  const preferred = preferredRoot ? joinPath(preferredRoot) : null;
  const chosen = (preferredRoot ? dirs.find((dir) => dir.source === preferredRoot || dir.root === preferred) : undefined) ?? dirs[0];
  const alias = aliases[folder as ComfyFolder];
  if (!chosen || chosen.source !== 'comfyui' || alias === undefined) return chosen;
  return dirs.find((dir) => dir.source === 'comfyui' && dir.path === joinPath(chosen.root, alias)) ?? chosen;
}

export interface TemplateValues {
  readonly baseModel?: string | null;
  readonly type?: string | null;
  readonly modelName?: string | null;
  readonly versionName?: string | null;
  readonly modelId?: number | string | null;
  readonly versionId?: number | string | null;
  readonly fileName: string;
}

export interface DestinationInput {
  readonly folder: string;
  readonly roots: ModelRoots;
  readonly preferredRoot?: string | null;
  readonly aliases?: FolderAliases;
  readonly template?: string;
  readonly values: TemplateValues;
}

export interface Destination {
  readonly modelDir: ModelDir;
  /** Absolute path of the file. */
  readonly path: string;
  /** Absolute directory holding the file (to create if missing). */
  readonly directory: string;
  /** Path below the model dir, as ComfyUI lists it (e.g. `SDXL 1.0/foo.safetensors`). */
  readonly relativePath: string;
}

export interface DestinationError {
  readonly code: 'TEMPLATE_INVALID' | 'NO_MODEL_DIR' | 'PATH_ESCAPES';
  readonly message: string;
}

/** Checks a template: segments separated by `/`, `{folder}` first and alone, `{fileName}` in the last. */
export function parseTemplate(template: string): Result<readonly string[], DestinationError> {
  const invalid = (why: string) => err<never, DestinationError>({ code: 'TEMPLATE_INVALID', message: `Path template "${template}": ${why}.` });
  const segments = template.split('/');
  if (segments[0] !== '{folder}') return invalid('it must start with {folder}/');
  if (segments.length < 2 || !segments.at(-1)?.includes('{fileName}')) return invalid('its last segment must contain {fileName}');
  for (const segment of segments.slice(1)) {
    if (segment.trim() === '' || segment === '.' || segment === '..') return invalid('it has an empty, "." or ".." segment');
    for (const [, name] of segment.matchAll(/\{([^}]*)\}/g)) {
      if (name === 'folder') return invalid('{folder} may only be the first segment');
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name ?? '')) return invalid(`unknown placeholder {${name}}`);
    }
  }
  return ok(segments.slice(1));
}

export function destinationPath(input: DestinationInput): Result<Destination, DestinationError> {
  return parseTemplate(input.template ?? DEFAULT_TEMPLATE).andThen((segments) => {
    const modelDir = pickModelDir(input.roots, input.folder, input.preferredRoot, input.aliases);
    if (!modelDir) return err<Destination, DestinationError>({ code: 'NO_MODEL_DIR', message: `No model directory is configured for the ${input.folder} folder.` });
    const last = segments.length - 1;
    const parts = segments.flatMap((segment, index) => {
      const expanded = expandSegment(segment, input.values);
      if (expanded.trim() === '' && index !== last) return [];
      return [index === last ? sanitizeFileName(expanded, { stemReserveBytes: STEM_RESERVE_BYTES }) : sanitizeFileName(expanded)];
    });
    const path = joinPath(modelDir.path, ...parts);
    // Sanitised segments cannot climb out; this guards the guarantee itself.
    if (!isInside(path, modelDir.path) || path === joinPath(modelDir.path)) {
      return err<Destination, DestinationError>({ code: 'PATH_ESCAPES', message: `The path built for ${input.values.fileName} leaves ${modelDir.path}.` });
    }
    return ok({ modelDir, path, directory: joinPath(modelDir.path, ...parts.slice(0, -1)), relativePath: parts.join('/') });
  });
}

/** Each value becomes text without separators, so it can never add or climb path segments. */
function expandSegment(segment: string, values: TemplateValues): string {
  return segment.replace(/\{([^}]*)\}/g, (_whole, name: string) => {
    const value = values[name as Exclude<Placeholder, 'folder'>];
    return value === null || value === undefined ? '' : String(value).replace(/[/\\]/g, '_');
  });
}
