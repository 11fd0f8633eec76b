import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { err, ok, Result } from 'neverthrow';
import { systemEnvironment } from '../config/load.js';
import { defaultPaths, type DefaultPaths } from '../config/xdg.js';
import { errnoCode } from '../ipc/unix-path.js';
import type { InvalidServiceInput } from './escape.js';
import { execSystemctl, parseServiceStatus, runSystemctl, STATUS_PROPERTIES, type ServiceStatus, type SystemctlError, type SystemctlRunner } from './systemctl.js';
import { readServiceTemplates } from './templates.js';
import { DESKTOP_ENTRY_NAME, renderDesktopEntry, renderUnit, UNIT_NAME, type ServiceLayout } from './unit.js';

/** `comfyui-dl service install|uninstall|status`: the unit and desktop entry on disk, and systemctl. */

export type { ServiceStatus, SystemctlRunner } from './systemctl.js';
export type { ServiceLayout } from './unit.js';

export type ServiceError =
  | InvalidServiceInput
  | SystemctlError
  | { readonly code: 'SERVICE_FILE_FAILED'; readonly message: string };

export interface ServiceFileLocations {
  /** Default `$XDG_CONFIG_HOME/systemd/user`, where the user manager looks for units. */
  readonly unitDir?: string;
  /** Default `$XDG_DATA_HOME/applications`, where desktop menus look for entries. */
  readonly applicationsDir?: string;
  /** Default: the real `systemctl` on PATH. */
  readonly systemctl?: SystemctlRunner;
}

export interface InstallServiceOptions extends ServiceLayout, ServiceFileLocations {}

export interface InstalledService {
  readonly unitPath: string;
  readonly desktopEntryPath: string;
}

export interface UninstalledService {
  /** The files that existed and were removed (none when nothing was installed). */
  readonly removed: readonly string[];
}

/**
 * Writes the unit and the desktop entry, then reloads systemd and enables and starts the service. The folders
 * the unit lets the service write are created first: systemd refuses to start a service whose ReadWritePaths=
 * folder is missing. Installing again replaces both files with the current paths and restarts a running service.
 */
export async function installService(options: InstallServiceOptions): Promise<Result<InstalledService, ServiceError>> {
  const templates = await readServiceTemplates();
  const rendered = Result.combine([renderUnit(options, templates.unit), renderDesktopEntry(options, templates.desktopEntry)]);
  if (rendered.isErr()) return err(rendered.error);
  const [unit, desktopEntry] = rendered.value;
  const { unitPath, desktopEntryPath } = locate(options);
  const replacing = await exists(unitPath);

  const prepared = await createFolders([
    [options.modelsDir, undefined],
    [options.dataDir, 0o700],
    [options.socketDir, 0o700],
  ]);
  if (prepared.isErr()) return err(prepared.error);
  for (const [path, text] of [
    [unitPath, unit],
    [desktopEntryPath, desktopEntry],
  ] as const) {
    const written = await writeReadable(path, text);
    if (written.isErr()) return err(written.error);
  }

  const systemctl = options.systemctl ?? execSystemctl();
  const steps = [
    ['--user', 'daemon-reload'],
    // `enable --now` leaves a running daemon alone: on a reinstall, restart it so it runs with the new paths.
    ...(replacing ? [['--user', 'try-restart', UNIT_NAME]] : []),
    ['--user', 'enable', '--now', UNIT_NAME],
  ];
  for (const step of steps) {
    const done = await runSystemctl(systemctl, step);
    if (done.isErr()) return err(done.error);
  }
  return ok({ unitPath, desktopEntryPath });
}

/** Stops and disables the service, removes both files and reloads systemd; doing it twice is harmless. */
export async function uninstallService(options: ServiceFileLocations = {}): Promise<Result<UninstalledService, ServiceError>> {
  const { unitPath, desktopEntryPath } = locate(options);
  const systemctl = options.systemctl ?? execSystemctl();
  const unitExists = await exists(unitPath);
  if (unitExists) {
    const disabled = await runSystemctl(systemctl, ['--user', 'disable', '--now', UNIT_NAME]);
    if (disabled.isErr()) return err(disabled.error);
  }
  const removed: string[] = [];
  for (const path of [unitPath, desktopEntryPath]) {
    const removal = await removeIfPresent(path);
    if (removal.isErr()) return err(removal.error);
    if (removal.value) removed.push(path);
  }
  if (unitExists) {
    const reloaded = await runSystemctl(systemctl, ['--user', 'daemon-reload']);
    if (reloaded.isErr()) return err(reloaded.error);
  }
  return ok({ removed });
}

/** What systemd says about the service; `installed: false` when it does not know it. */
export async function serviceStatus(options: Pick<ServiceFileLocations, 'systemctl'> = {}): Promise<Result<ServiceStatus, ServiceError>> {
  const systemctl = options.systemctl ?? execSystemctl();
  const shown = await runSystemctl(systemctl, ['--user', 'show', UNIT_NAME, '-p', STATUS_PROPERTIES.join(',')]);
  return shown.andThen(parseServiceStatus);
}

function locate(options: ServiceFileLocations): InstalledService {
  const xdg = (): DefaultPaths => defaultPaths(systemEnvironment());
  const unitDir = options.unitDir ?? join(xdg().configHome, 'systemd', 'user');
  const applicationsDir = options.applicationsDir ?? join(xdg().dataHome, 'applications');
  return { unitPath: join(unitDir, UNIT_NAME), desktopEntryPath: join(applicationsDir, DESKTOP_ENTRY_NAME) };
}

async function createFolders(folders: readonly (readonly [string, number | undefined])[]): Promise<Result<void, ServiceError>> {
  for (const [folder, mode] of folders) {
    try {
      await mkdir(folder, { recursive: true, mode });
    } catch (e) {
      return err(fileFailure(`cannot create the folder ${folder} (${errnoCode(e)})`, folder));
    }
  }
  return ok(undefined);
}

/**
 * Atomic (temporary file, sync, rename) so systemd never loads half a unit, and 0644 whatever the umask:
 * neither file holds a secret, and desktop menus run as the same user anyway.
 */
async function writeReadable(path: string, text: string): Promise<Result<void, ServiceError>> {
  const folder = dirname(path);
  const temporary = join(folder, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(folder, { recursive: true });
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(0o644);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return ok(undefined);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    return err(fileFailure(`cannot write ${path} (${errnoCode(e)})`, folder));
  }
}

async function removeIfPresent(path: string): Promise<Result<boolean, ServiceError>> {
  try {
    await unlink(path);
    return ok(true);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return ok(false);
    return err(fileFailure(`cannot remove ${path} (${errnoCode(e)})`, dirname(path)));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function fileFailure(what: string, folder: string): ServiceError {
  return { code: 'SERVICE_FILE_FAILED', message: `${what}: check that you own ${folder} and can write to it` };
}
