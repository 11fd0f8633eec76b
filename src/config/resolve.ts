import { isAbsolute, join, resolve } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { checkApiKey, checkHfToken, type InvalidApiKey } from './api-key.js';
import { findJsonSyntaxError } from './json-syntax.js';
import {
  API_KEY_ENV,
  API_KEY_SETTING,
  CONFIG_FILE_OPTION,
  HF_TOKEN_ENV,
  HF_TOKEN_SETTING,
  ConfigFileSchema,
  SETTING_KEYS,
  SETTINGS,
  type ConfigFile,
  type ConfigFlags,
  type SettingKey,
  type Settings,
  type SettingSpec,
} from './settings.js';
import { APP_DIR, defaultPaths, expandHome, type ConfigEnvironment } from './xdg.js';

/** Settings resolve as: flag > environment > config file > default (ARCHITECTURE.md §5). */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

export type ConfigError =
  | { readonly code: 'CONFIG_BAD_JSON'; readonly message: string; readonly file: string }
  | { readonly code: 'CONFIG_UNKNOWN_SETTING'; readonly message: string; readonly file: string }
  | { readonly code: 'CONFIG_INVALID_VALUE'; readonly message: string; readonly setting: string; readonly source: SettingSource }
  | { readonly code: 'CONFIG_UNREADABLE' | 'CONFIG_WRITE_FAILED'; readonly message: string; readonly file: string }
  | { readonly code: 'DATA_DIR_NOT_WRITABLE'; readonly message: string; readonly dir: string }
  | InvalidApiKey;

export interface Config extends Settings {
  readonly configFile: string;
  readonly sources: { readonly [K in SettingKey]: SettingSource } & { readonly apiKey: 'env' | 'file' | null; readonly hfToken: 'env' | 'file' | null };
  readonly hasApiKey: boolean;
  readonly hasHfToken: boolean;
  /**
   * Not enumerable, so JSON.stringify, object spread and util.inspect leave it out: the config can
   * be logged or put in an event without leaking the key.
   */
  readonly apiKey: string | undefined;
  /** The Hugging Face token (HF_TOKEN), not enumerable either. */
  readonly hfToken: string | undefined;
  /** Things the user should hear about but that do not stop anything. */
  readonly warnings: readonly string[];
}

export interface ResolveConfigInput extends ConfigEnvironment {
  readonly flags: ConfigFlags;
  /** The config file's text; undefined when there is no file. */
  readonly fileText: string | undefined;
  /** Warnings found while reading the file (e.g. its mode was fixed). */
  readonly warnings?: readonly string[];
}

/** Where the config file is: `--config` > COMFYUI_DL_CONFIG > `$XDG_CONFIG_HOME/comfyui-dl/config.json`. */
export function resolveConfigPath(flags: ConfigFlags, ctx: ConfigEnvironment): string {
  const given = flags.config ?? nonEmpty(ctx.env[CONFIG_FILE_OPTION.env]);
  if (given !== undefined) return resolve(ctx.cwd, expandHome(given, ctx.home));
  return join(defaultPaths(ctx).configHome, APP_DIR, 'config.json');
}

export function resolveConfig(input: ResolveConfigInput): Result<Config, ConfigError> {
  const configFile = resolveConfigPath(input.flags, input);
  const parsedFile = parseConfigFile(input.fileText, configFile);
  if (parsedFile.isErr()) return err(parsedFile.error);
  const file = parsedFile.value;
  const defaults = defaultPaths(input);

  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource | null> = {};
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec<unknown> = SETTINGS[key];
    const picked = pickSource(key, spec, input, file);
    const resolved = picked.source === 'default' ? ok(spec.defaultValue(defaults)) : checkValue(key, spec, picked, input, configFile);
    if (resolved.isErr()) return err(resolved.error);
    values[key] = resolved.value;
    sources[key] = picked.source;
  }

  const secret = (setting: string, env: string, check: typeof checkApiKey): Result<string | undefined, ConfigError> => {
    const fromEnv = nonEmpty(input.env[env]);
    const fromFile = (file as Record<string, string | undefined>)[setting];
    sources[setting] = fromEnv !== undefined ? 'env' : fromFile !== undefined ? 'file' : null;
    if (fromEnv !== undefined) return check(fromEnv, env);
    return fromFile !== undefined ? check(fromFile, `the ${setting} in ${configFile}`) : ok(undefined);
  };
  const apiKey = secret(API_KEY_SETTING, API_KEY_ENV, checkApiKey);
  if (apiKey.isErr()) return err(apiKey.error);
  const hfToken = secret(HF_TOKEN_SETTING, HF_TOKEN_ENV, checkHfToken);
  if (hfToken.isErr()) return err(hfToken.error);

  const config = {
    ...(values as Settings),
    configFile,
    sources: Object.freeze(sources) as Config['sources'],
    hasApiKey: apiKey.value !== undefined,
    hasHfToken: hfToken.value !== undefined,
    warnings: Object.freeze([...(input.warnings ?? [])]),
  };
  // The secrets live in this closure only; the properties are non-enumerable getters.
  const key = apiKey.value;
  const token = hfToken.value;
  Object.defineProperty(config, API_KEY_SETTING, { get: () => key, enumerable: false });
  Object.defineProperty(config, HF_TOKEN_SETTING, { get: () => token, enumerable: false });
  return ok(Object.freeze(config) as Config);
}

type Picked =
  | { readonly source: 'flag' | 'env'; readonly raw: string | number; readonly name: string }
  | { readonly source: 'file'; readonly raw: unknown; readonly name: string }
  | { readonly source: 'default' };

function pickSource(key: SettingKey, spec: SettingSpec<unknown>, input: ResolveConfigInput, file: ConfigFile): Picked {
  const flag = input.flags[key];
  if (flag !== undefined && spec.flag !== undefined) return { source: 'flag', raw: flag, name: spec.flag };
  const env = spec.env === undefined ? undefined : nonEmpty(input.env[spec.env]);
  if (env !== undefined && spec.env !== undefined) return { source: 'env', raw: env, name: spec.env };
  if (file[key] !== undefined) return { source: 'file', raw: file[key], name: key };
  return { source: 'default' };
}

function checkValue(
  key: SettingKey,
  spec: SettingSpec<unknown>,
  picked: Exclude<Picked, { source: 'default' }>,
  ctx: ConfigEnvironment,
  configFile: string,
): Result<unknown, ConfigError> {
  const where = picked.source === 'file' ? `setting '${key}' in ${configFile}` : picked.name;
  const invalid = (why?: string): Result<unknown, ConfigError> =>
    err({
      code: 'CONFIG_INVALID_VALUE',
      setting: key,
      source: picked.source,
      message: `${where} must be ${spec.expected} (got ${show(picked.raw)})${why === undefined ? '' : `: ${why}`}`,
    });
  const parsed = spec.schema.safeParse(typeof picked.raw === 'string' && picked.source !== 'file' ? spec.fromText(picked.raw) : picked.raw);
  if (!parsed.success) return invalid();
  let value = parsed.data;
  if (spec.isPath && value !== null) {
    const expanded = expandHome(value as string, ctx.home);
    // A relative path in the file would depend on wherever the daemon happens to start.
    if (!isAbsolute(expanded) && picked.source === 'file') return invalid();
    value = resolve(ctx.cwd, expanded);
  }
  const why = spec.check?.(value);
  return why === undefined ? ok(value) : invalid(why);
}

function parseConfigFile(text: string | undefined, file: string): Result<ConfigFile, ConfigError> {
  const content = text?.replace(/^\uFEFF/, '') ?? '';
  // An empty file (e.g. just created by `touch`) means no settings, not an error.
  if (content.trim() === '') return ok({});
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    const at = findJsonSyntaxError(content);
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.column}: ${at.reason}`;
    return err({
      code: 'CONFIG_BAD_JSON',
      file,
      message: `${file} is not valid JSON${where}. Fix it (JSON allows no comments or trailing commas) or delete it to use the defaults`,
    });
  }
  const parsed = ConfigFileSchema.safeParse(json);
  if (parsed.success) return ok(parsed.data);

  const known = [...SETTING_KEYS, API_KEY_SETTING, HF_TOKEN_SETTING];
  const unknownKeys = parsed.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
  const firstUnknown = unknownKeys[0];
  if (firstUnknown !== undefined) {
    const guess = known.find((k) => squash(k) === squash(firstUnknown));
    return err({
      code: 'CONFIG_UNKNOWN_SETTING',
      file,
      message:
        `unknown setting '${firstUnknown}' in ${file}${guess === undefined ? '' : ` (did you mean '${guess}'?)`}; ` +
        `known settings: ${known.join(', ')}`,
    });
  }
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  if (typeof key !== 'string') {
    return err({ code: 'CONFIG_BAD_JSON', file, message: `${file} must hold a JSON object, like {"modelsDir": "~/ComfyUI/models"}` });
  }
  if (key === API_KEY_SETTING || key === HF_TOKEN_SETTING) {
    return err({ code: 'CONFIG_INVALID_VALUE', setting: key, source: 'file', message: `setting '${key}' in ${file} must be a string` });
  }
  const spec: SettingSpec<unknown> = SETTINGS[key as SettingKey];
  return err({
    code: 'CONFIG_INVALID_VALUE',
    setting: key,
    source: 'file',
    message: `setting '${key}' in ${file} must be ${spec.expected} (got ${show((json as Record<string, unknown>)[key])})`,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function squash(name: string): string {
  return name.replace(/[-_\s]/g, '').toLowerCase();
}

function show(value: unknown): string {
  // JSON reads 1e309 as Infinity, which JSON.stringify would show as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value < 0 ? '-' : ''}a number too large to represent`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
