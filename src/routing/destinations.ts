// Where a routed file lands on disk: the model directories ComfyUI scans per folder (its own models dir plus
// extra_model_paths.yaml), the one chosen for writing, and a path template inside it. Every template value is
// untrusted (model and version names come from uploaders) and is reduced to one safe path component.
import { err, ok, type Result } from 'neverthrow';
import { sanitizeFileName } from '../lib/file-name.js';
import type { ExtraModelPathsSection } from './extra-model-paths.js';
import { COMFY_FOLDERS, folderDirNames, type ComfyFolder } from './folders.js';
import { isInside, joinPath } from './posix-path.js';

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

/** Folder key → directories in ComfyUI's scan order. */
export type ModelRoots = ReadonlyMap<string, readonly ModelDir[]>;

/** The directory name to use per folder inside the models dir, when the user's tree has a legacy one. */
export type FolderAliases = Readonly<Partial<Record<ComfyFolder, string>>>;

export interface ModelRootsInput {
  /** ComfyUI's `models` directory (absolute), if there is one. */
  readonly modelsDir?: string | null;
  readonly aliases?: FolderAliases;
  readonly extra?: readonly ExtraModelPathsSection[];
}

/**
 * ComfyUI's order: dirs from `is_default` sections first, then its own models dir, then the other sections.
 * In the models dir, the name the user's tree already has comes first (e.g. `unet` before `diffusion_models`).
 */
export function buildModelRoots(input: ModelRootsInput): ModelRoots {
  const roots = new Map<string, ModelDir[]>();
  const add = (dir: ModelDir) => {
    const list = roots.get(dir.folder) ?? [];
    if (!list.some((existing) => existing.path === dir.path)) list.push(dir);
    roots.set(dir.folder, list);
  };
  const sections = input.extra ?? [];
  const addSections = (isDefault: boolean) => {
    for (const section of sections.filter((s) => s.isDefault === isDefault)) {
      for (const [folder, paths] of section.folders) {
        for (const path of paths) add({ folder, path, root: section.basePath, source: section.name, isDefault });
      }
    }
  };
  addSections(true);
  const modelsDir = input.modelsDir;
  if (modelsDir) {
    for (const folder of COMFY_FOLDERS) {
      const names = folderDirNames(folder);
      const preferred = input.aliases?.[folder];
      const ordered = preferred ? [preferred, ...names.filter((name) => name !== preferred)] : names;
      for (const name of ordered) add({ folder, path: joinPath(modelsDir, name), root: joinPath(modelsDir), source: 'comfyui', isDefault: false });
    }
  }
  addSections(false);
  return roots;
}

/**
 * The directory to write a folder's files into: one under the configured root (a base path or a section name)
 * if given and present, else the first `is_default` one, else the first one ComfyUI scans.
 */
export function pickModelDir(roots: ModelRoots, folder: string, preferredRoot?: string | null): ModelDir | undefined {
  const dirs = roots.get(folder) ?? [];
  const preferred = preferredRoot ? joinPath(preferredRoot) : null;
  return (
    (preferredRoot ? dirs.find((dir) => dir.source === preferredRoot || dir.root === preferred) : undefined) ??
    dirs.find((dir) => dir.isDefault) ??
    dirs[0]
  );
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
    const modelDir = pickModelDir(input.roots, input.folder, input.preferredRoot);
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
