// ComfyUI's extra_model_paths.yaml, read exactly the way its utils/extra_config.py reads it:
// - the file is YAML 1.1 (PyYAML's safe_load: `yes`/`no`/`on`/`off` are booleans, `y`/`n` are not);
// - top-level keys are free section labels; an empty section is skipped;
// - `base_path` gets `~` and then `$VARS` expanded, and is resolved against the yaml's folder when relative;
//   nothing else is expanded: every other value is taken literally;
// - each other key is a folder key (legacy `unet`/`clip` mapped later); its value holds one path per line, empty
//   lines skipped and nothing trimmed; a path joins the base path (an absolute one stands alone) or, without a base
//   path, the yaml's folder; the result is normalised;
// - `is_default` counts by Python truthiness, whatever its position in the section.
// Where ComfyUI would crash on a malformed entry (a value that is not text), the entry is skipped with a warning.
import { err, ok, type Result } from 'neverthrow';
import { parse, type Tags } from 'yaml';
import { joinPath } from '../lib/paths.js';

/** One folder path, in file order: what ComfyUI hands to `add_model_folder_path`. */
export interface ExtraModelPath {
  /** The yaml key as written (`clip`, `loras`, `my_node_folder`…). */
  readonly key: string;
  /** Absolute and normalised. */
  readonly path: string;
  readonly isDefault: boolean;
  readonly section: string;
  /** The section's base path, or the yaml's folder when it has none. */
  readonly basePath: string;
}

export interface ExtraModelPathsSection {
  readonly name: string;
  /** Absolute base path, or the yaml file's folder when the section has none. */
  readonly basePath: string;
  readonly isDefault: boolean;
  readonly paths: readonly ExtraModelPath[];
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

// PyYAML's YAML 1.1 booleans. The `yaml` package's 1.1 schema also takes `y`/`n`, which PyYAML leaves as text.
const pyYamlBool = (value: boolean, pattern: RegExp) => ({
  identify: (v: unknown) => v === value,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: pattern,
  resolve: () => value,
});
const PYYAML_BOOLS = [
  pyYamlBool(true, /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/),
  pyYamlBool(false, /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/),
];
const withPyYamlBools = (tags: Tags): Tags => [
  ...PYYAML_BOOLS,
  ...tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:bool'),
];

function readYaml(text: string): Result<unknown, ExtraPathsError> {
  try {
    // PyYAML keeps the last of duplicate keys and resolves `<<` merge keys.
    return ok(parse(text, { version: '1.1', customTags: withPyYamlBools, uniqueKeys: false, merge: true }));
  } catch (cause) {
    return err({ code: 'EXTRA_PATHS_INVALID', message: `extra_model_paths.yaml is not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}` });
  }
}

export function parseExtraModelPaths(text: string, where: PathEnvironment): Result<ExtraModelPaths, ExtraPathsError> {
  return readYaml(text).andThen((document): Result<ExtraModelPaths, ExtraPathsError> => {
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
      const section = readSection(name, settings, where, warnings);
      if (section) sections.push(section);
    }
    return ok({ sections, warnings });
  });
}

function readSection(name: string, settings: Record<string, unknown>, where: PathEnvironment, warnings: string[]): ExtraModelPathsSection | null {
  const { base_path: base, is_default: isDefaultValue, ...folderEntries } = settings;
  if (base !== undefined && typeof base !== 'string') {
    // ComfyUI stops at start on such a file; taking the paths without their base would put them elsewhere.
    warnings.push(`section "${name}": base_path is not text; the section is skipped`);
    return null;
  }
  const basePath = base === undefined ? null : absolute(expandVars(expandUser(base, where.home), where.env), where.yamlDir);
  const isDefault = pythonTruthy(isDefaultValue);
  const paths: ExtraModelPath[] = [];
  for (const [key, value] of Object.entries(folderEntries)) {
    if (typeof value !== 'string') {
      warnings.push(`section "${name}": "${key}" is not a path or lines of paths; skipped`);
      continue;
    }
    for (const line of value.split('\n')) {
      if (line.length === 0) continue;
      paths.push({ key, path: absolute(line, basePath ?? where.yamlDir), isDefault, section: name, basePath: basePath ?? where.yamlDir });
    }
  }
  return { name, basePath: basePath ?? where.yamlDir, isDefault, paths };
}

/** Python's `os.path.expanduser` for the current user: a leading `~` or `~/`. `~name` is left as written. */
function expandUser(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home.replace(/\/+$/, '') + path.slice(1) || '/' : path;
}

/** Python's `os.path.expandvars`: `$NAME` and `${NAME}`; an unknown variable stays as written. */
function expandVars(path: string, env: PathEnvironment['env']): string {
  return path.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => {
    const value = env[name.startsWith('{') ? name.slice(1, -1) : name];
    return value ?? whole;
  });
}

/** `os.path.join(against, path)` then `normpath`: an absolute path stands alone. */
function absolute(path: string, against: string): string {
  return joinPath(against, path);
}

/** Python's truth value of a YAML scalar or collection, as `if is_default:` sees it. */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof Date) return true;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
