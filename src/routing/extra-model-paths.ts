// ComfyUI's extra_model_paths.yaml, read the way utils/extra_config.py reads it: top-level keys are free section
// labels; `base_path` (with ~ and $VARS expanded; relative to the yaml's folder) prefixes every value; each other
// key is a folder key (legacy `clip`/`unet` mapped) whose value is one path per line; `is_default: true` puts the
// section's dirs first, which is where downloads go.
import { err, ok, type Result } from 'neverthrow';
import { parse } from 'yaml';
import { canonicalFolderKey } from './folders.js';
import { isAbsolutePath, joinPath } from './posix-path.js';

export interface ExtraModelPathsSection {
  readonly name: string;
  /** Absolute base path, or the yaml file's folder when the section has none. */
  readonly basePath: string;
  readonly isDefault: boolean;
  /** Canonical folder key → absolute directories, in file order. */
  readonly folders: ReadonlyMap<string, readonly string[]>;
}

export interface ExtraModelPaths {
  readonly sections: readonly ExtraModelPathsSection[];
  /** Entries that were skipped, each explained. */
  readonly warnings: readonly string[];
}

export interface ExtraPathsError {
  readonly code: 'EXTRA_PATHS_INVALID';
  readonly message: string;
}

export interface PathEnvironment {
  /** Folder holding the yaml file: relative paths resolve against it. */
  readonly yamlDir: string;
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function parseExtraModelPaths(text: string, where: PathEnvironment): Result<ExtraModelPaths, ExtraPathsError> {
  let document: unknown;
  try {
    document = parse(text);
  } catch (cause) {
    return err({ code: 'EXTRA_PATHS_INVALID', message: `extra_model_paths.yaml is not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}` });
  }
  if (document === null || document === undefined) return ok({ sections: [], warnings: [] });
  if (!isMapping(document)) {
    return err({ code: 'EXTRA_PATHS_INVALID', message: 'extra_model_paths.yaml must map section names to folder settings.' });
  }
  const sections: ExtraModelPathsSection[] = [];
  const warnings: string[] = [];
  for (const [name, settings] of Object.entries(document)) {
    if (settings === null || settings === undefined) continue;
    if (!isMapping(settings)) {
      warnings.push(`section "${name}" is not a mapping; skipped`);
      continue;
    }
    sections.push(readSection(name, settings, where, warnings));
  }
  return ok({ sections, warnings });
}

function readSection(name: string, settings: Record<string, unknown>, where: PathEnvironment, warnings: string[]): ExtraModelPathsSection {
  const { base_path: base, is_default: isDefault, ...folderEntries } = settings;
  const basePath = typeof base === 'string' && base.trim() !== '' ? absolute(expand(base.trim(), where), where.yamlDir) : null;
  if (base !== undefined && basePath === null) warnings.push(`section "${name}": base_path is not a path; ignored`);
  const folders = new Map<string, string[]>();
  for (const [key, value] of Object.entries(folderEntries)) {
    if (typeof value !== 'string') {
      warnings.push(`section "${name}": "${key}" is not a path or list of lines; skipped`);
      continue;
    }
    const folder = canonicalFolderKey(key);
    const dirs = folders.get(folder) ?? [];
    for (const line of value.split('\n')) {
      const path = line.trim();
      if (path === '') continue;
      dirs.push(absolute(expand(path, where), basePath ?? where.yamlDir));
    }
    folders.set(folder, dirs);
  }
  return { name, basePath: basePath ?? where.yamlDir, isDefault: isDefault === true || isDefault === 'true', folders };
}

/** `~` → home, `$VAR` / `${VAR}` → environment (unknown variables stay as written, like Python's expandvars). */
function expand(path: string, where: PathEnvironment): string {
  const home = path === '~' || path.startsWith('~/') ? where.home + path.slice(1) : path;
  return home.replace(/\$(\w+)|\$\{([^}]+)\}/g, (whole, bare: string | undefined, braced: string | undefined) => {
    const value = where.env[bare ?? braced ?? ''];
    return value ?? whole;
  });
}

function absolute(path: string, against: string): string {
  return isAbsolutePath(path) ? joinPath(path) : joinPath(against, path);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
