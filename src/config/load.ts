import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { errnoCode } from '../ipc/unix-path.js';
import { checkApiKey, checkHfToken } from './api-key.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { readRegularFile } from './regular-file.js';
import { resolveConfig, resolveConfigPath, type Config, type ConfigError } from './resolve.js';
import { API_KEY_SETTING, HF_TOKEN_SETTING, type ConfigFlags } from './settings.js';
import type { ConfigEnvironment } from './xdg.js';

/** The thin I/O shell around `resolveConfig`: reads the machine and the file, writes the key. */

export function systemEnvironment(): ConfigEnvironment {
  return { env: process.env, home: homedir(), uid: process.getuid?.() ?? 0, tmpdir: tmpdir(), cwd: process.cwd() };
}

export async function loadConfig(flags: ConfigFlags, ctx: ConfigEnvironment = systemEnvironment()): Promise<Result<Config, ConfigError>> {
  const file = resolveConfigPath(flags, ctx);
  const read = await readConfigText(file);
  if (read.isErr()) return err(read.error);
  const holdsKey = read.value !== undefined && parseObject(read.value, file).map((o) => API_KEY_SETTING in o || HF_TOKEN_SETTING in o).unwrapOr(false);
  const warnings = holdsKey ? await makePrivate(file) : [];
  return resolveConfig({ ...ctx, flags, fileText: read.value, warnings });
}

/** Far more than any config file needs; anything bigger is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The config file's text, undefined when there is none; a FIFO, a device or a huge file is refused at once. */
async function readConfigText(file: string): Promise<Result<string | undefined, ConfigError>> {
  const read = await readRegularFile(file, MAX_CONFIG_BYTES);
  if (read.isOk()) return ok(read.value);
  const e = read.error;
  if (e.code === 'ABSENT') return ok(undefined);
  const fix = {
    NOT_REGULAR: 'point --config (or COMFYUI_DL_CONFIG) at a JSON file',
    TOO_LARGE: 'that is too large for a config file: is it the right file?',
    UNREADABLE: 'fix its permissions or point --config elsewhere',
  }[e.code];
  return err({ code: 'CONFIG_UNREADABLE', file, message: `cannot read the config file ${file}: ${e.reason}; ${fix}` });
}

/** A key file others can read is fixed rather than refused: the user keeps working and is told. */
async function makePrivate(file: string): Promise<string[]> {
  try {
    const previous = await tightenMode(file, 0o600);
    return previous === undefined ? [] : [`${file} holds your API key but was readable by other users (mode ${previous}); it is now 0600`];
  } catch (e) {
    return [`${file} holds your API key but is readable by other users, and its mode cannot be changed (${errnoCode(e)}): run chmod 600 on it`];
  }
}

/** Narrows a file or folder of ours to `mode`; returns the old mode (octal) when it changed anything. */
async function tightenMode(path: string, mode: number): Promise<string | undefined> {
  const current = (await stat(path)).mode & 0o777;
  if ((current & ~mode) === 0) return undefined;
  await chmod(path, mode);
  return current.toString(8);
}

/**
 * Stores the key in the config file, keeping its other settings: written to a temporary file opened
 * 0600 (never wider, not even for a moment), synced, then renamed over the old one, in a folder of
 * mode 0700.
 */
export function saveApiKey(rawKey: string, configFile: string): Promise<Result<void, ConfigError>> {
  return saveSecret(checkApiKey(rawKey, 'the key'), API_KEY_SETTING, configFile);
}

/** Stores the Hugging Face token the same way, under `hfToken`. */
export function saveHfToken(rawToken: string, configFile: string): Promise<Result<void, ConfigError>> {
  return saveSecret(checkHfToken(rawToken, 'the token'), HF_TOKEN_SETTING, configFile);
}

async function saveSecret(checked: Result<string, ConfigError>, setting: string, configFile: string): Promise<Result<void, ConfigError>> {
  if (checked.isErr()) return err(checked.error);
  const current = await readConfigText(configFile);
  if (current.isErr()) return err(current.error);
  const settings = parseObject(current.value ?? '', configFile);
  if (settings.isErr()) return err(settings.error);
  const text = `${JSON.stringify({ ...settings.value, [setting]: checked.value }, null, 2)}\n`;
  return writePrivateFile(configFile, text);
}

function parseObject(text: string, file: string): Result<Record<string, unknown>, ConfigError> {
  const content = text.replace(/^\uFEFF/, '');
  if (content.trim() === '') return ok({});
  const refuse = (why: string): Result<Record<string, unknown>, ConfigError> =>
    err({ code: 'CONFIG_BAD_JSON', file, message: `cannot store the key: ${file} ${why}; fix it or delete it first` });
  try {
    const value: unknown = JSON.parse(content);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('does not hold a JSON object');
    return ok(value as Record<string, unknown>);
  } catch {
    const at = findJsonSyntaxError(content);
    return refuse(`is not valid JSON${at === undefined ? '' : ` (line ${at.line}, column ${at.column}: ${at.reason})`}`);
  }
}

async function writePrivateFile(file: string, text: string): Promise<Result<void, ConfigError>> {
  const folder = dirname(file);
  const temporary = join(folder, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const folderStat = await lstat(folder);
    const me = process.getuid?.();
    if (me !== undefined && folderStat.uid !== me) {
      return err({ code: 'CONFIG_WRITE_FAILED', file, message: `refusing to store the key in ${folder}: it belongs to uid ${folderStat.uid}, not to you; point --config elsewhere` });
    }
    await tightenMode(folder, 0o700);
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    await syncFolder(folder);
    return ok(undefined);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    return err({ code: 'CONFIG_WRITE_FAILED', file, message: `cannot write the config file ${file} (${errnoCode(e)}): check that its folder is writable` });
  }
}

/** Makes the rename itself durable. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates the data folder if needed and proves it writable by writing to it, which also catches read-only mounts. */
export async function checkDataDirWritable(dir: string): Promise<Result<void, ConfigError>> {
  const probe = join(dir, `.write-test-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    await unlink(probe);
    return ok(undefined);
  } catch (e) {
    return err({
      code: 'DATA_DIR_NOT_WRITABLE',
      dir,
      message: `the data folder ${dir} is not writable (${errnoCode(e)}): fix its permissions or choose another with --data-dir or COMFYUI_DL_DATA_DIR`,
    });
  }
}
