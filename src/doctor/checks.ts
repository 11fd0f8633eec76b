import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statfsSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { Config } from '../config/index.js';
import { systemEnvironment } from '../config/load.js';
import { defaultPaths } from '../config/xdg.js';
import { dataDirLocked } from '../data-dir/lock.js';
import { checkEventLog } from '../data-dir/event-log-check.js';
import { connectIpc } from '../ipc/client.js';
import { errnoCode } from '../ipc/unix-path.js';
import { readExtraModelPaths } from '../routing/destinations-io.js';
import { COMFY_FOLDERS, folderDirNames } from '../routing/folders.js';
import { UNIT_NAME } from '../service/unit.js';

/** `comfyui-dl doctor`: each part of a working setup, checked on this machine, each problem with its fix. */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do; null when there is nothing to do. */
  readonly fix: string | null;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Below these the daemon fails (fail) or soon will (warn): SQLite needs room to commit, a model is gigabytes. */
const FREE_SPACE = { data: { fail: 256 * MiB, warn: 1 * GiB }, models: { fail: 1 * GiB, warn: 10 * GiB } };

const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail, fix: null });
const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });

export async function runChecks(config: Config): Promise<CheckResult[]> {
  const socketResult = await checkDaemon(config);
  return [
    checkConfigFile(config),
    checkDataDir(config.dataDir),
    checkLog(config.dataDir),
    socketResult,
    checkSocketFolder(config.socket),
    checkFreeSpace('free space (data)', config.dataDir, FREE_SPACE.data),
    checkFreeSpace('free space (models)', config.modelsDir, FREE_SPACE.models),
    checkApiKey(config),
    checkUnit(config),
    checkModelsFolder(config.modelsDir),
    await checkExtraModelPaths(config),
  ];
}

/** What `doctor` says when the config itself cannot be loaded: that, and nothing else can be checked. */
export function configFailure(message: string): CheckResult[] {
  return [fail('config', message, 'fix the config file (or the flag or variable) named in the message')];
}

function checkConfigFile(config: Config): CheckResult {
  if (!existsSync(config.configFile)) return ok('config', `no config file at ${config.configFile}: flags, variables and defaults apply`);
  const notes = config.warnings.filter((w) => !w.includes('API key'));
  return notes.length > 0 ? warn('config', `${config.configFile}: ${notes.join('; ')}`, 'see the warning') : ok('config', `read ${config.configFile}`);
}

/** Proves a folder writable by writing to it, which also catches read-only mounts. */
function writable(dir: string): string | undefined {
  const probe = join(dir, `.doctor-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, '', { flag: 'wx', mode: 0o600 });
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    return errnoCode(e);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const myUid = (): number | undefined => process.getuid?.();
const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

function checkDataDir(dataDir: string): CheckResult {
  const name = 'data folder';
  const info = statOrUndefined(dataDir);
  if (info === undefined) return ok(name, `${dataDir} does not exist yet: the daemon creates it (mode 0700)`);
  if (!info.isDirectory()) return fail(name, `${dataDir} is not a folder`, 'move that file away, or choose another --data-dir');
  const uid = myUid();
  if (uid !== undefined && info.uid !== uid) return fail(name, `${dataDir} belongs to uid ${info.uid}, not to you (${uid})`, `chown it to yourself, or choose another --data-dir`);
  const denied = writable(dataDir);
  if (denied !== undefined) return fail(name, `${dataDir} is not writable (${denied})`, 'fix its permissions (or the mount), or choose another --data-dir');
  if ((info.mode & 0o077) !== 0) return warn(name, `${dataDir} is mode ${octal(info.mode)}: other users can read your event log`, `chmod 700 ${dataDir}`);
  return ok(name, `${dataDir} (mode ${octal(info.mode)}, writable)`);
}

function checkLog(dataDir: string): CheckResult {
  const name = 'event log';
  const path = join(dataDir, 'events.db');
  return checkEventLog(path).match(
    (state) => (state === 'absent' ? ok(name, `${path} does not exist yet: the daemon starts a new log`) : ok(name, `${path} passes SQLite's quick_check`)),
    (problem) => fail(name, `${problem.file} ${problem.what}`, problem.fix),
  );
}

async function checkDaemon(config: Config): Promise<CheckResult> {
  const name = 'daemon and socket';
  const connected = await connectIpc(config.socket, { client: 'comfyui-dl-doctor', timeoutMs: 1500 });
  if (connected.isOk()) {
    const status = await connected.value.request('status');
    await connected.value.close();
    if (status.isOk()) return ok(name, `comfyui-dl ${status.value.version} (pid ${status.value.pid}) answers on ${config.socket}`);
    return fail(name, `the daemon on ${config.socket} answers, but not to status: ${status.error.message}`, 'restart it: systemctl --user restart comfyui-dl');
  }
  const locked = statOrUndefined(config.dataDir) === undefined ? undefined : dataDirLocked(config.dataDir);
  if (locked !== undefined && locked.isErr()) return fail(name, locked.error.message, 'see the message');
  if (locked?.value === true) {
    return fail(name, `a daemon holds ${config.dataDir} but does not answer on ${config.socket} (${connected.error.message})`,
      'it listens on another socket (check --socket / COMFYUI_DL_SOCKET), or it is stuck: systemctl --user status comfyui-dl');
  }
  const leftover = lstatOrUndefined(config.socket);
  if (leftover !== undefined && !leftover.isSocket()) {
    return fail(name, `${config.socket} exists but is not a socket`, 'move it away: the daemon will not replace a file that is not its socket');
  }
  const stale = leftover === undefined ? '' : ` (${config.socket} is left from a daemon that was killed; the next one replaces it)`;
  return warn(name, `no daemon is running${stale}`, 'start it: `comfyui-dl daemon &`, or `comfyui-dl service install`');
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function checkSocketFolder(socket: string): CheckResult {
  const name = 'socket folder';
  const dir = dirname(socket);
  const info = statOrUndefined(dir);
  if (info === undefined) return ok(name, `${dir} does not exist yet: the daemon creates it (mode 0700)`);
  if ((info.mode & 0o077) !== 0) return fail(name, `${dir} is mode ${octal(info.mode)}: the daemon refuses a socket folder others can enter`, `chmod 700 ${dir}`);
  const uid = myUid();
  if (uid !== undefined && info.uid !== uid) return fail(name, `${dir} belongs to uid ${info.uid}, not to you`, 'choose another --socket');
  return ok(name, `${dir} (mode ${octal(info.mode)})`);
}

/** The nearest existing folder: free space is the file system's, whether or not the folder exists yet. */
function existingAncestor(path: string): string {
  let current = resolve(path);
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

function checkFreeSpace(name: string, path: string, limits: { fail: number; warn: number }): CheckResult {
  const where = existingAncestor(path);
  let free: number;
  try {
    const fs = statfsSync(where);
    free = fs.bavail * fs.bsize;
  } catch (e) {
    return warn(name, `cannot read the free space of ${where} (${errnoCode(e)})`, 'check the mount');
  }
  const shown = `${(free / GiB).toFixed(1)} GiB free on the file system of ${path}`;
  if (free < limits.fail) return fail(name, shown, 'free some space on that file system (downloads pause when it fills up)');
  if (free < limits.warn) return warn(name, shown, 'free some space soon: a model is often several GiB');
  return ok(name, shown);
}

function checkApiKey(config: Config): CheckResult {
  const name = 'API key';
  if (config.sources.apiKey === 'env') return ok(name, 'from CIVITAI_API_KEY');
  if (config.sources.apiKey !== 'file') return warn(name, 'none: CivitAI requires a logged-in account for most downloads', 'comfyui-dl config set-key');
  const info = statOrUndefined(config.configFile);
  const uid = myUid();
  if (info !== undefined && uid !== undefined && info.uid !== uid) return fail(name, `${config.configFile} holds the key but belongs to uid ${info.uid}`, `chown it to yourself, or store the key again with comfyui-dl config set-key`);
  if (info !== undefined && (info.mode & 0o077) !== 0) return fail(name, `${config.configFile} holds the key and is mode ${octal(info.mode)}`, `chmod 600 ${config.configFile}`);
  const narrowed = config.warnings.find((w) => w.includes('API key'));
  if (narrowed !== undefined) return warn(name, narrowed, 'check who could have read the file; rotate the key on civitai.com if in doubt');
  return ok(name, `in ${config.configFile} (mode ${info === undefined ? '?' : octal(info.mode)})`);
}

/** Words of a systemd command line: "double-quoted" (with backslash escapes) or bare. */
function unitWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

function checkUnit(config: Config): CheckResult {
  const name = 'systemd unit';
  const unitPath = join(defaultPaths(systemEnvironment()).configHome, 'systemd', 'user', UNIT_NAME);
  let unit: string;
  try {
    unit = readFileSync(unitPath, 'utf8');
  } catch {
    return ok(name, `not installed (optional: \`comfyui-dl service install\` runs the daemon as a user service)`);
  }
  const value = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  const reinstall = 'run `comfyui-dl service install` again: it writes the unit with the current paths';
  const [nodePath, binPath] = unitWords(value('ExecStart')[0] ?? '');
  for (const [what, path] of [['node', nodePath], ['comfyui-dl', binPath]] as const) {
    if (path === undefined || !existsSync(path)) return fail(name, `${unitPath} starts ${what} from ${path ?? '(nothing)'}, which does not exist`, reinstall);
  }
  const allowed = value('ReadWritePaths').flatMap(unitWords).map((p) => p.replace(/^-/, ''));
  const covered = (dir: string) => allowed.some((a) => dir === a || dir.startsWith(a.endsWith(sep) ? a : `${a}${sep}`));
  const missing = [config.modelsDir, config.dataDir, dirname(config.socket)].filter((dir) => !covered(dir));
  if (missing.length > 0) {
    return fail(name, `${unitPath} does not let the service write ${missing.join(', ')} (the settings changed after it was installed)`, reinstall);
  }
  return ok(name, `${unitPath} matches the current settings`);
}

function checkModelsFolder(modelsDir: string): CheckResult {
  const name = 'models folder';
  const info = statOrUndefined(modelsDir);
  if (info === undefined) return fail(name, `${modelsDir} does not exist`, "point --models-dir (or COMFYUI_MODELS_DIR) at ComfyUI's models folder, or create it");
  if (!info.isDirectory()) return fail(name, `${modelsDir} is not a folder`, "point --models-dir at ComfyUI's models folder");
  const denied = writable(modelsDir);
  if (denied !== undefined) return fail(name, `${modelsDir} is not writable (${denied})`, 'fix its permissions, or run the daemon as the user who owns it');
  const staging = statOrUndefined(join(modelsDir, '.comfyui-dl', 'staging'));
  if (staging !== undefined && staging.dev !== info.dev) {
    return fail(name, `${join(modelsDir, '.comfyui-dl', 'staging')} is on another file system than ${modelsDir}`, 'placing a file is a rename: unmount whatever is mounted there');
  }
  const present = new Set(readdirSync(modelsDir));
  const known = COMFY_FOLDERS.filter((folder) => folderDirNames(folder).some((dir) => present.has(dir)));
  if (known.length === 0) {
    return warn(name, `${modelsDir} has none of ComfyUI's model folders (checkpoints, loras, vae, …)`, "make sure it is ComfyUI's models folder (the daemon creates the folders it needs)");
  }
  return ok(name, `${modelsDir}: ${known.length} ComfyUI folders (${known.slice(0, 6).join(', ')}${known.length > 6 ? ', …' : ''})`);
}

async function checkExtraModelPaths(config: Config): Promise<CheckResult> {
  const name = 'extra_model_paths.yaml';
  const path = config.extraModelPaths ?? join(dirname(config.modelsDir), 'extra_model_paths.yaml');
  if (config.extraModelPaths === null && !existsSync(path)) return ok(name, 'none (optional)');
  const read = await readExtraModelPaths(path);
  if (read.isErr()) return fail(name, read.error.message, `fix ${path}, or remove it`);
  const notes = read.value.warnings;
  return notes.length > 0 ? warn(name, `${path}: ${notes.join('; ')}`, `fix ${path}`) : ok(name, `${path}: ${read.value.sections.length} sections`);
}
