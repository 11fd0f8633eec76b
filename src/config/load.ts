import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { errnoCode } from '../ipc/unix-path.js';
import { checkApiKey } from './api-key.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { resolveConfig, resolveConfigPath, type Config, type ConfigError } from './resolve.js';
import { API_KEY_SETTING, type ConfigFlags } from './settings.js';
import type { ConfigEnvironment } from './xdg.js';

/** The thin I/O shell around `resolveConfig`: reads the machine and the file, writes the key. */

export function systemEnvironment(): ConfigEnvironment {
  return { env: process.env, home: homedir(), uid: process.getuid?.() ?? 0, tmpdir: tmpdir(), cwd: process.cwd() };
}

export async function loadConfig(flags: ConfigFlags, ctx: ConfigEnvironment = systemEnvironment()): Promise<Result<Config, ConfigError>> {
  const file = resolveConfigPath(flags, ctx);
  const read = await readConfigText(file);
  if (read.isErr()) return err(read.error);
  const holdsKey = read.value !== undefined && parseObject(read.value, file).map((o) => API_KEY_SETTING in o).unwrapOr(false);
  const warnings = holdsKey ? await makePrivate(file) : [];
  return resolveConfig({ ...ctx, flags, fileText: read.value, warnings });
}

/** Far more than any config file needs; anything bigger is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads the config file if it is one: a regular file (through symlinks) of at most MAX_CONFIG_BYTES. Opened
 * non-blocking, so a FIFO is refused at once instead of hanging the command or the daemon, and a link to
 * /dev/zero is refused before a byte is read.
 */
async function readConfigText(file: string): Promise<Result<string | undefined, ConfigError>> {
  const unreadable = (why: string): Result<never, ConfigError> => err({ code: 'CONFIG_UNREADABLE', file, message: `cannot read the config file ${file}: ${why}` });
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return ok(undefined);
    return unreadable(`${errnoCode(e)}; fix its permissions or point --config elsewhere`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return unreadable(`it is ${kindOf(info)}, not a regular file; point --config (or COMFYUI_DL_CONFIG) at a JSON file`);
    if (info.size > MAX_CONFIG_BYTES) return unreadable(`it is ${info.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit for a config file; is it the right file?`);
    // The size can change between stat and read: never read more than the cap.
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > MAX_CONFIG_BYTES) return unreadable(`it grew over the ${MAX_CONFIG_BYTES}-byte limit while being read`);
    }
    return ok(buffer.toString('utf8', 0, filled));
  } catch (e) {
    return unreadable(`${errnoCode(e)}; fix its permissions or point --config elsewhere`);
  } finally {
    await handle.close();
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
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
export async function saveApiKey(rawKey: string, configFile: string): Promise<Result<void, ConfigError>> {
  const key = checkApiKey(rawKey, 'the key');
  if (key.isErr()) return err(key.error);
  const current = await readConfigText(configFile);
  if (current.isErr()) return err(current.error);
  const settings = parseObject(current.value ?? '', configFile);
  if (settings.isErr()) return err(settings.error);
  const text = `${JSON.stringify({ ...settings.value, [API_KEY_SETTING]: key.value }, null, 2)}\n`;
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
