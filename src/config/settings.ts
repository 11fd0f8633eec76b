import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { MAX_SOCKET_PATH_BYTES } from '../ipc/unix-path.js';
import { DEFAULT_TEMPLATE, parseTemplate } from '../routing/destinations.js';
import { APP_DIR, type DefaultPaths } from './xdg.js';

/**
 * Every setting in one table (ARCHITECTURE.md §5): flag, environment variable, config-file key (the
 * table key), validation and default. A new setting is one new entry; the CLI options, the config
 * file schema and the resolved `Config` type all follow from it.
 */

export interface SettingSpec<T> {
  /** Commander derives the option's camelCase name from it, which must equal the table key. */
  readonly flag?: `--${string}`;
  readonly env?: string;
  readonly describe: string;
  /** A valid value in words, for error messages. */
  readonly expected: string;
  /** Validates a config-file value, or a flag/environment value once `fromText` converted it. */
  readonly schema: z.ZodType<T>;
  readonly fromText: (text: string) => unknown;
  /** Paths get `~` expanded and relative ones resolved (flags, environment) or refused (file). */
  readonly isPath: boolean;
  readonly defaultValue: (paths: DefaultPaths) => T;
  /**
   * The rest of the rule, on the final value (a path once resolved): why it cannot work, or undefined. Everything a
   * setting needs is checked at load, so a value accepted here never fails later, at a download or at start.
   */
  check?(value: T): string | undefined;
}

/** The machine's name, cut to what a host name may hold. */
export function defaultHost(): string {
  const name = hostname().split('.')[0]!.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return name || 'localhost';
}

type Described = Pick<SettingSpec<unknown>, 'flag' | 'env' | 'describe'>;

/** The file system takes any byte in a path but NUL, which Node refuses outright. */
const checkPath = (path: string | null): string | undefined => (path?.includes('\0') ? 'a path cannot contain a NUL character' : undefined);

function pathSetting(spec: Described & { defaultValue: (paths: DefaultPaths) => string; check?: (path: string) => string | undefined }): SettingSpec<string> {
  return {
    ...spec,
    expected: 'a path (absolute, or starting with ~/)',
    schema: z.string().min(1),
    fromText: (text) => text,
    isPath: true,
    check: (path) => checkPath(path) ?? spec.check?.(path),
  };
}

function intSetting(spec: Described & { min: number; max: number; defaultValue: number; expected?: string }): SettingSpec<number> {
  return {
    flag: spec.flag,
    env: spec.env,
    describe: spec.describe,
    expected: spec.expected ?? `an integer from ${spec.min} to ${spec.max}`,
    schema: z.int().min(spec.min).max(spec.max),
    // Anything but plain digits stays a string, which the schema then rejects with the usual message.
    fromText: (text) => (/^\s*\d+\s*$/.test(text) ? Number(text) : text),
    isPath: false,
    defaultValue: () => spec.defaultValue,
  };
}

function urlSetting(spec: Described & { defaultValue: string }): SettingSpec<string> {
  return {
    flag: spec.flag,
    env: spec.env,
    describe: spec.describe,
    expected: 'an http(s) URL such as https://civitai.com',
    schema: z
      .string()
      .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol))
      .transform((text) => text.replace(/\/+$/, '')),
    fromText: (text) => text,
    isPath: false,
    defaultValue: () => spec.defaultValue,
  };
}

function boolSetting(spec: Described & { defaultValue: boolean }): SettingSpec<boolean> {
  return {
    flag: spec.flag,
    env: spec.env,
    describe: spec.describe,
    expected: 'true or false',
    schema: z.boolean(),
    fromText: (text) => ({ true: true, false: false, '1': true, '0': false, yes: true, no: false })[text.trim().toLowerCase()] ?? text,
    isPath: false,
    defaultValue: () => spec.defaultValue,
  };
}

/** A path that may be absent: `null` by default, meaning "not set" (the daemon then looks in the usual place). */
function optionalPathSetting(spec: Described): SettingSpec<string | null> {
  return {
    ...spec,
    expected: 'a path (absolute, or starting with ~/)',
    schema: z.string().min(1).nullable(),
    fromText: (text) => text,
    isPath: true,
    defaultValue: () => null,
    check: checkPath,
  };
}


export const SETTINGS = {
  modelsDir: pathSetting({
    flag: '--models-dir',
    env: 'COMFYUI_MODELS_DIR',
    describe: 'ComfyUI models folder',
    defaultValue: (p) => join(p.home, 'ComfyUI', 'models'),
  }),
  dataDir: pathSetting({
    flag: '--data-dir',
    env: 'COMFYUI_DL_DATA_DIR',
    describe: 'folder of the event log (events.db)',
    defaultValue: (p) => join(p.dataHome, APP_DIR),
  }),
  socket: pathSetting({
    flag: '--socket',
    env: 'COMFYUI_DL_SOCKET',
    describe: "the daemon's Unix socket",
    defaultValue: (p) => join(p.socketDir, 'daemon.sock'),
    check: (path) => (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES ? `it is ${Buffer.byteLength(path)} bytes long once resolved; Unix sockets allow ${MAX_SOCKET_PATH_BYTES}` : undefined),
  }),
  civitaiUrl: urlSetting({
    flag: '--civitai-url',
    env: 'CIVITAI_BASE_URL',
    describe: 'CivitAI base URL',
    defaultValue: 'https://civitai.com',
  }),
  hfEndpoint: urlSetting({
    flag: '--hf-endpoint',
    env: 'HF_ENDPOINT',
    describe: 'Hugging Face Hub URL (or a mirror of it)',
    defaultValue: 'https://huggingface.co',
  }),
  concurrency: intSetting({
    flag: '--concurrency',
    env: 'COMFYUI_DL_CONCURRENCY',
    describe: 'downloads running at once',
    min: 1,
    max: 16,
    defaultValue: 2,
  }),
  updateInterval: intSetting({
    flag: '--update-interval',
    env: 'COMFYUI_DL_UPDATE_INTERVAL',
    describe: 'seconds between update checks (0 = off)',
    // The upper bound is what a Node timer can hold (2^31 - 1 ms).
    min: 0,
    max: 2_147_483,
    defaultValue: 21_600,
    expected: 'a whole number of seconds from 0 (off) to 2147483',
  }),
  connections: intSetting({
    flag: '--connections',
    env: 'COMFYUI_DL_CONNECTIONS',
    describe: 'most connections per download (it starts with 4 and opens more while the speed keeps rising)',
    min: 1,
    max: 16,
    defaultValue: 16,
  }),
  totalConnections: intSetting({
    flag: '--total-connections',
    env: 'COMFYUI_DL_TOTAL_CONNECTIONS',
    describe: 'most connections of all downloads together (each running download gets at least one)',
    min: 1,
    max: 256,
    defaultValue: 32,
  }),
  pathTemplate: {
    flag: '--path-template',
    env: 'COMFYUI_DL_PATH_TEMPLATE',
    describe: 'where a file goes inside its folder; placeholders {folder} {baseModel} {type} {modelName} {versionName} {modelId} {versionId} {fileName}',
    expected: 'a template such as {folder}/{baseModel}/{fileName} ({folder} first, {fileName} in the last part)',
    schema: z.string().min(1),
    fromText: (text: string) => text,
    isPath: false,
    defaultValue: () => DEFAULT_TEMPLATE,
    // The routing module's own rule, so a template accepted here is one every download can be placed with: no
    // empty, `.` or `..` segment, nothing absolute, only known placeholders.
    check: (template) => parseTemplate(template).match(() => undefined, (e) => e.message),
  } satisfies SettingSpec<string>,
  extraModelPaths: optionalPathSetting({
    flag: '--extra-model-paths',
    env: 'COMFYUI_DL_EXTRA_MODEL_PATHS',
    describe: "ComfyUI's extra_model_paths.yaml (default: the one beside the models folder, if any)",
  }),
  defaultRoot: {
    flag: '--default-root',
    env: 'COMFYUI_DL_DEFAULT_ROOT',
    describe: 'which models root new downloads go to: a section of extra_model_paths.yaml or a base path',
    expected: 'a section name or a path',
    schema: z.string().min(1).nullable(),
    fromText: (text: string) => text,
    isPath: false,
    defaultValue: () => null,
    check: checkPath,
  } satisfies SettingSpec<string | null>,
  previewNsfwLevel: intSetting({
    flag: '--preview-nsfw-level',
    env: 'COMFYUI_DL_PREVIEW_NSFW_LEVEL',
    describe: "highest CivitAI NSFW level of a preview image (1 PG, 2 PG-13, 4 R, 8 X, 16 XXX)",
    min: 1,
    max: 32,
    defaultValue: 1,
  }),
  earlyAccessUpdates: boolSetting({
    flag: '--early-access-updates',
    env: 'COMFYUI_DL_EARLY_ACCESS_UPDATES',
    describe: 'also report new versions still in early access',
    defaultValue: false,
  }),
  sameBaseModelUpdates: boolSetting({
    flag: '--same-base-model-updates',
    env: 'COMFYUI_DL_SAME_BASE_MODEL_UPDATES',
    describe: 'only report new versions for the base model you have (e.g. not an SDXL version of an SD 1.5 LoRA)',
    defaultValue: false,
  }),
  databaseUrl: {
    flag: '--database-url',
    env: 'COMFYUI_DL_DATABASE_URL',
    describe: 'keep the event log in PostgreSQL (postgres://user:password@host/db), shared by several hosts; default: SQLite in the data folder',
    expected: 'a postgres:// or postgresql:// URL',
    schema: z.string().refine((text) => URL.canParse(text) && /^postgres(ql)?:$/.test(new URL(text).protocol)).nullable(),
    fromText: (text: string) => text,
    isPath: false,
    defaultValue: () => null,
  } satisfies SettingSpec<string | null>,
  hostName: {
    flag: '--host-name',
    env: 'COMFYUI_DL_HOST_NAME',
    describe: 'this machine\'s name among the hosts sharing one database: it runs the jobs queued for this name',
    expected: 'a name of letters, digits, dots, dashes or underscores (at most 63)',
    schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/),
    fromText: (text: string) => text,
    isPath: false,
    defaultValue: () => defaultHost(),
  } satisfies SettingSpec<string>,
} as const satisfies Record<string, SettingSpec<string> | SettingSpec<number> | SettingSpec<boolean> | SettingSpec<string | null>>;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { readonly [K in SettingKey]: (typeof SETTINGS)[K] extends SettingSpec<infer T> ? T : never };
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** The config file may hold the API key too; it never comes from a flag. */
export const API_KEY_SETTING = 'apiKey';
export const API_KEY_ENV = 'CIVITAI_API_KEY';
/** Likewise the Hugging Face token, sent only to the hub (HF_ENDPOINT). */
export const HF_TOKEN_SETTING = 'hfToken';
export const HF_TOKEN_ENV = 'HF_TOKEN';

/** How the config file itself is found: it cannot be a setting inside that file. */
export const CONFIG_FILE_OPTION = { flag: '--config', env: 'COMFYUI_DL_CONFIG', describe: 'config file' } as const;

/** Values given on the command line, keyed like the table (commander's camelCase of the flags). */
export type ConfigFlags = { readonly [K in SettingKey]?: string | number } & { readonly config?: string };

/**
 * The config file's schema, derived from the table; strict so that a misspelt setting is an error
 * rather than silently ignored.
 */
export const ConfigFileSchema = z.strictObject({
  ...(Object.fromEntries(SETTING_KEYS.map((key) => [key, SETTINGS[key].schema.optional()])) as {
    [K in SettingKey]: z.ZodOptional<(typeof SETTINGS)[K]['schema']>;
  }),
  [API_KEY_SETTING]: z.string().optional(),
  [HF_TOKEN_SETTING]: z.string().optional(),
});
export type ConfigFile = z.output<typeof ConfigFileSchema>;
