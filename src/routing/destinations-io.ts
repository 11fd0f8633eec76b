// The disk side of destinations: which folder names the user's ComfyUI tree already uses, reading
// extra_model_paths.yaml, and the directories ComfyUI searches that both follow from them.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readRegularFile } from '../config/regular-file.js';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ResultAsync, err, type Result } from 'neverthrow';
import { buildModelRoots, type FolderAliases, type ModelRoots } from './destinations.js';
import { parseExtraModelPaths, type ExtraModelPaths, type ExtraPathsError } from './extra-model-paths.js';
import { COMFY_FOLDERS, folderDirNames, type ComfyFolder } from './folders.js';

/** A yaml file of folder paths is a few KB; anything far larger is not one. */
const MAX_EXTRA_PATHS_BYTES = 1024 * 1024;

/** For folders with legacy names (`unet`, `clip`, …): the first name that exists as a directory in `modelsDir`. */
export async function detectFolderAliases(modelsDir: string): Promise<FolderAliases> {
  const aliases: Partial<Record<ComfyFolder, string>> = {};
  for (const folder of COMFY_FOLDERS) {
    const names = folderDirNames(folder);
    if (names.length < 2) continue;
    for (const name of names) {
      if (await isDirectory(resolve(modelsDir, name))) {
        aliases[folder] = name;
        break;
      }
    }
  }
  return aliases;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export function readExtraModelPaths(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResultAsync<ExtraModelPaths, ExtraPathsError> {
  const absolute = resolve(path);
  return ResultAsync.fromPromise(readSmallFile(absolute), (cause): ExtraPathsError => ({
    code: 'EXTRA_PATHS_INVALID',
    message: `Could not read ${absolute}: ${cause instanceof Error ? cause.message : String(cause)}`,
  })).andThen((text): Result<ExtraModelPaths, ExtraPathsError> =>
    text === null
      ? err({ code: 'EXTRA_PATHS_INVALID', message: `${absolute} is larger than ${MAX_EXTRA_PATHS_BYTES} bytes; it is not an extra_model_paths.yaml.` })
      : parseExtraModelPaths(text, { yamlDir: dirname(absolute), home: homedir(), env }),
  );
}

/** Only a regular file is read (a FIFO would hang every placement), and not past the size limit. */
async function readSmallFile(path: string): Promise<string | null> {
  const read = await readRegularFile(path, MAX_EXTRA_PATHS_BYTES);
  if (read.isOk()) return read.value;
  if (read.error.code === 'TOO_LARGE') return null;
  throw new Error(read.error.code === 'ABSENT' ? 'no such file' : read.error.reason);
}

export interface ModelRootsSettings {
  readonly modelsDir: string;
  /** ComfyUI's extra_model_paths.yaml; null or absent: the one ComfyUI reads beside its models folder, if any. */
  readonly extraModelPaths?: string | null;
}

export interface LoadedModelRoots {
  readonly roots: ModelRoots;
  readonly aliases: FolderAliases;
  /** What could not be used, each explained (a broken yaml is ignored, and said so). */
  readonly warnings: readonly string[];
}

/** ComfyUI reads `extra_model_paths.yaml` from its own folder, the models folder's parent. */
export function defaultExtraModelPathsFile(modelsDir: string): string {
  return join(dirname(modelsDir), 'extra_model_paths.yaml');
}

/**
 * The directories ComfyUI searches, read afresh on every call, so an edit of the yaml applies to the next
 * download or scan without a restart.
 */
export async function loadModelRoots(settings: ModelRootsSettings): Promise<LoadedModelRoots> {
  const path = settings.extraModelPaths ?? defaultExtraModelPathsFile(settings.modelsDir);
  const warnings: string[] = [];
  let extra: Awaited<ReturnType<typeof readExtraModelPaths>> | null = null;
  if (settings.extraModelPaths != null || existsSync(path)) extra = await readExtraModelPaths(path);
  if (extra?.isErr()) warnings.push(`ignoring ${path}: ${extra.error.message}`);
  if (extra?.isOk()) warnings.push(...extra.value.warnings.map((w) => `${path}: ${w}`));
  return {
    roots: buildModelRoots({ modelsDir: settings.modelsDir, extra: extra?.isOk() ? extra.value.sections : [] }),
    aliases: await detectFolderAliases(settings.modelsDir),
    warnings,
  };
}
