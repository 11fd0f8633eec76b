import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDataDirWritable, loadConfig, MAX_CONFIG_BYTES, saveApiKey } from '../../src/config/load.js';
import type { ConfigEnvironment } from '../../src/config/xdg.js';

const KEY = 'CANARY-7f3a9c0e1b2d4f6a8c0e1b2d4f6a8c0e';
let home: string;
let ctx: ConfigEnvironment;
let configDir: string;
let configFile: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'cdl-config-'));
  ctx = { env: { XDG_CONFIG_HOME: join(home, 'cfg') }, home, uid: 1000, tmpdir: home, cwd: home };
  configDir = join(home, 'cfg', 'comfyui-dl');
  configFile = join(configDir, 'config.json');
});
afterEach(() => rm(home, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('loadConfig', () => {
  it('uses the defaults when there is no config file, and reads it when there is', async () => {
    const none = (await loadConfig({}, ctx))._unsafeUnwrap();
    expect(none.configFile).toBe(configFile);
    expect(none.sources.concurrency).toBe('default');
    await mkdir(configDir, { recursive: true });
    await writeFile(configFile, JSON.stringify({ concurrency: 5 }));
    const loaded = (await loadConfig({}, ctx))._unsafeUnwrap();
    expect([loaded.concurrency, loaded.sources.concurrency, loaded.warnings]).toEqual([5, 'file', []]);
  });

  it('reports an unreadable config file', async () => {
    await mkdir(configFile, { recursive: true });
    const error = (await loadConfig({}, ctx))._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'CONFIG_UNREADABLE', message: expect.stringContaining(configFile) });
  });

  it('reads only regular files, at once and within a size cap', async () => {
    await mkdir(configDir, { recursive: true });
    execFileSync('mkfifo', [configFile]);
    // A FIFO nobody writes to would block a plain read forever.
    const fifo = (await loadConfig({}, ctx))._unsafeUnwrapErr();
    expect(fifo).toMatchObject({ code: 'CONFIG_UNREADABLE', message: `cannot read the config file ${configFile}: it is a FIFO (named pipe), not a regular file; point --config (or COMFYUI_DL_CONFIG) at a JSON file` });
    await rm(configFile);
    await symlink('/dev/zero', configFile);
    expect((await loadConfig({}, ctx))._unsafeUnwrapErr().message).toMatch(/it is a character device, not a regular file/);
    await rm(configFile);
    await writeFile(configFile, `{"concurrency": 3${' '.repeat(MAX_CONFIG_BYTES)}}`);
    expect((await loadConfig({}, ctx))._unsafeUnwrapErr().message).toMatch(/over the 1048576-byte limit; that is too large for a config file/);
    await writeFile(configFile, JSON.stringify({ concurrency: 3 }));
    const linked = join(home, 'linked.json');
    await symlink(configFile, linked);
    expect((await loadConfig({ config: linked }, ctx))._unsafeUnwrap().concurrency).toBe(3);
  });

  it('makes a key file that others can read private, and says so', async () => {
    await mkdir(configDir, { recursive: true });
    await writeFile(configFile, JSON.stringify({ apiKey: KEY }), { mode: 0o644 });
    await chmod(configFile, 0o644);
    const config = (await loadConfig({}, ctx))._unsafeUnwrap();
    expect(await mode(configFile)).toBe(0o600);
    expect(config.warnings).toEqual([`${configFile} holds your API key but was readable by other users (mode 644); it is now 0600`]);
    expect(config.apiKey).toBe(KEY);
  });
});

describe('saveApiKey', () => {
  it('writes the key 0600 in a 0700 folder, keeping other settings, and loads it back', async () => {
    const previous = process.umask(0o022);
    try {
      await mkdir(configDir, { recursive: true, mode: 0o755 });
      await writeFile(configFile, JSON.stringify({ concurrency: 3, apiKey: 'old-key-0000000' }), { mode: 0o644 });
      (await saveApiKey(`  ${KEY}\n`, configFile))._unsafeUnwrap();
    } finally {
      process.umask(previous);
    }
    expect(await mode(configDir)).toBe(0o700);
    expect(await mode(configFile)).toBe(0o600);
    expect(JSON.parse(await readFile(configFile, 'utf8'))).toEqual({ concurrency: 3, apiKey: KEY });
    expect(await readdir(configDir)).toEqual(['config.json']);
    const config = (await loadConfig({}, ctx))._unsafeUnwrap();
    expect([config.apiKey, config.sources.apiKey, config.concurrency, config.warnings]).toEqual([KEY, 'file', 3, []]);
    expect(JSON.stringify(config)).not.toContain('CANARY');
  });

  it('creates the folder and the file when neither exists', async () => {
    (await saveApiKey(KEY, configFile))._unsafeUnwrap();
    expect(await mode(configDir)).toBe(0o700);
    expect(await mode(configFile)).toBe(0o600);
  });

  it('refuses to overwrite a config file it cannot parse, and an invalid key, without echoing the key', async () => {
    await mkdir(configDir, { recursive: true });
    await writeFile(configFile, '{"concurrency": 3,,}');
    const badFile = (await saveApiKey(KEY, configFile))._unsafeUnwrapErr();
    expect(badFile).toMatchObject({ code: 'CONFIG_BAD_JSON', message: expect.stringMatching(/line 1, column 19/) });
    expect(await readFile(configFile, 'utf8')).toBe('{"concurrency": 3,,}');
    const badKey = (await saveApiKey('CANARY key with spaces', configFile))._unsafeUnwrapErr();
    expect(badKey.code).toBe('INVALID_API_KEY');
    expect(JSON.stringify([badFile, badKey])).not.toContain('CANARY');
  });
});

describe('checkDataDirWritable', () => {
  it('creates the data folder 0700 and leaves nothing behind', async () => {
    const dir = join(home, 'data', 'comfyui-dl');
    (await checkDataDirWritable(dir))._unsafeUnwrap();
    expect(await mode(dir)).toBe(0o700);
    expect(await readdir(dir)).toEqual([]);
  });

  it('explains what to do when the folder cannot be written', async () => {
    await writeFile(join(home, 'a-file'), '');
    const dir = join(home, 'a-file', 'data');
    expect((await checkDataDirWritable(dir))._unsafeUnwrapErr()).toEqual({
      code: 'DATA_DIR_NOT_WRITABLE',
      dir,
      message: `the data folder ${dir} is not writable (ENOTDIR): fix its permissions or choose another with --data-dir or COMFYUI_DL_DATA_DIR`,
    });
  });
});
