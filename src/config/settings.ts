import { join } from 'node:path';
import { z } from 'zod';
import { APP_DIR, type DefaultPaths } from './xdg.js';

/**
 * Every setting in one table (ARCHITECTURE §5): flag, environment variable, config-file key (the
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
}

type Described = Pick<SettingSpec<unknown>, 'flag' | 'env' | 'describe'>;

function pathSetting(spec: Described & { defaultValue: (paths: DefaultPaths) => string }): SettingSpec<string> {
  return {
    ...spec,
    expected: 'a path (absolute, or starting with ~/)',
    schema: z.string().min(1),
    fromText: (text) => text,
    isPath: true,
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
  }),
  civitaiUrl: urlSetting({
    flag: '--civitai-url',
    env: 'CIVITAI_BASE_URL',
    describe: 'CivitAI base URL',
    defaultValue: 'https://civitai.com',
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
    describe: 'connections per download',
    min: 1,
    max: 16,
    defaultValue: 4,
  }),
} as const satisfies Record<string, SettingSpec<string> | SettingSpec<number>>;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { readonly [K in SettingKey]: (typeof SETTINGS)[K] extends SettingSpec<infer T> ? T : never };
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** The config file may hold the API key too; it never comes from a flag. */
export const API_KEY_SETTING = 'apiKey';
export const API_KEY_ENV = 'CIVITAI_API_KEY';

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
});
export type ConfigFile = z.output<typeof ConfigFileSchema>;
