import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { installService, serviceStatus, uninstallService, type InstallServiceOptions } from '../../src/service/service.js';
import { execSystemctl } from '../../src/service/systemctl.js';
import { readServiceTemplates } from '../../src/service/templates.js';
import { renderDesktopEntry, renderUnit } from '../../src/service/unit.js';
import { fakeSystemctl, tempDirOutsideTmp, type TempDir } from './support.js';

const NO_BUS = `echo 'Failed to connect to bus: No medium found' >&2; exit 1`;

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDirOutsideTmp();
});
afterEach(() => dir.remove());

function options(extra: Partial<InstallServiceOptions> = {}): InstallServiceOptions {
  return {
    nodePath: process.execPath,
    binPath: join(projectRoot(), 'bin', 'comfyui-dl'),
    modelsDir: join(dir.path, 'ComfyUI', 'models'),
    dataDir: join(dir.path, 'share', 'comfyui-dl'),
    socketDir: join(dir.path, 'run', 'comfyui-dl'),
    unitDir: join(dir.path, 'config', 'systemd', 'user'),
    applicationsDir: join(dir.path, 'share', 'applications'),
    ...extra,
  };
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('installService', () => {
  it('writes the unit and the desktop entry 0644, creates the folders, then reloads and enables', async () => {
    const systemctl = await fakeSystemctl(dir.path);
    const input = options({ systemctl: systemctl.runner, environment: { COMFYUI_DL_CONCURRENCY: '3' } });
    // A umask that would make the files private: they must be 0644 anyway.
    const previousUmask = process.umask(0o077);
    const installed = await installService(input).finally(() => process.umask(previousUmask));

    const unitPath = join(input.unitDir!, 'comfyui-dl.service');
    const desktopEntryPath = join(input.applicationsDir!, 'comfyui-dl.desktop');
    expect(installed._unsafeUnwrap()).toEqual({ unitPath, desktopEntryPath });
    const templates = await readServiceTemplates();
    expect(await readFile(unitPath, 'utf8')).toBe(renderUnit(input, templates.unit)._unsafeUnwrap());
    expect(await readFile(desktopEntryPath, 'utf8')).toBe(renderDesktopEntry(input, templates.desktopEntry)._unsafeUnwrap());
    expect(await mode(unitPath)).toBe(0o644);
    expect(await mode(desktopEntryPath)).toBe(0o644);
    expect(await readdir(input.unitDir!)).toEqual(['comfyui-dl.service']);
    expect((await stat(input.modelsDir)).isDirectory()).toBe(true);
    expect(await mode(input.dataDir)).toBe(0o700);
    expect(await mode(input.socketDir)).toBe(0o700);
    expect(await systemctl.calls()).toEqual([
      ['--user', 'daemon-reload'],
      ['--user', 'enable', '--now', 'comfyui-dl.service'],
    ]);
  });

  it('replaces an earlier unit with the new paths and restarts the service if it runs', async () => {
    const systemctl = await fakeSystemctl(dir.path);
    await installService(options({ systemctl: systemctl.runner }));
    const moved = options({ systemctl: systemctl.runner, modelsDir: join(dir.path, 'elsewhere') });
    await installService(moved);
    const unit = await readFile(join(moved.unitDir!, 'comfyui-dl.service'), 'utf8');
    expect(unit).toContain(`ReadWritePaths="${join(dir.path, 'elsewhere')}"`);
    expect(unit).not.toContain(join(dir.path, 'ComfyUI'));
    expect((await systemctl.calls()).slice(2)).toEqual([
      ['--user', 'daemon-reload'],
      ['--user', 'try-restart', 'comfyui-dl.service'],
      ['--user', 'enable', '--now', 'comfyui-dl.service'],
    ]);
  });

  it('says what to do when there is no user systemd instance, and leaves the unit in place', async () => {
    const systemctl = await fakeSystemctl(dir.path, NO_BUS);
    const input = options({ systemctl: systemctl.runner });
    const error = (await installService(input))._unsafeUnwrapErr();
    expect(error.code).toBe('NO_USER_SYSTEMD');
    expect(error.message).toMatch(/^systemctl --user is not available: no user session bus/);
    expect(error.message).toContain('loginctl enable-linger $USER');
    expect(error.message).toContain('comfyui-dl daemon');
    expect(await systemctl.calls()).toEqual([['--user', 'daemon-reload']]);
    expect(await mode(join(input.unitDir!, 'comfyui-dl.service'))).toBe(0o644);
  });

  it('reports other systemctl failures with what systemctl said', async () => {
    const systemctl = await fakeSystemctl(
      dir.path,
      `[ "$2" = enable ] && { echo 'Failed to enable unit: Unit file comfyui-dl.service is masked.' >&2; exit 1; }; exit 0`,
    );
    const error = (await installService(options({ systemctl: systemctl.runner })))._unsafeUnwrapErr();
    expect(error.code).toBe('SYSTEMCTL_FAILED');
    expect(error.message).toContain('`systemctl --user enable --now comfyui-dl.service` failed: Failed to enable unit: Unit file comfyui-dl.service is masked.');
  });

  it('says systemd is unavailable when there is no systemctl at all', async () => {
    const input = options({ systemctl: execSystemctl({ PATH: join(dir.path, 'empty') }) });
    const error = (await installService(input))._unsafeUnwrapErr();
    expect(error.code).toBe('SYSTEMD_UNAVAILABLE');
    expect(error.message).toContain('comfyui-dl daemon');
  });

  it('writes nothing and runs nothing when a path is unusable', async () => {
    const systemctl = await fakeSystemctl(dir.path);
    const input = options({ systemctl: systemctl.runner, modelsDir: 'ComfyUI/models' });
    expect((await installService(input))._unsafeUnwrapErr().code).toBe('INVALID_SERVICE_INPUT');
    expect(await systemctl.calls()).toEqual([]);
    await expect(stat(input.unitDir!)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a unit folder it cannot write', async () => {
    const systemctl = await fakeSystemctl(dir.path);
    const blocker = join(dir.path, 'config');
    await writeFile(blocker, 'a file where a folder should be');
    const error = (await installService(options({ systemctl: systemctl.runner })))._unsafeUnwrapErr();
    expect(error.code).toBe('SERVICE_FILE_FAILED');
    expect(error.message).toContain(join(blocker, 'systemd', 'user'));
    expect(await systemctl.calls()).toEqual([]);
  });
});

describe('uninstallService', () => {
  it('disables and stops the service, removes both files, reloads; a second run does nothing', async () => {
    const systemctl = await fakeSystemctl(dir.path);
    const input = options({ systemctl: systemctl.runner });
    const { unitPath, desktopEntryPath } = (await installService(input))._unsafeUnwrap();
    const locations = { unitDir: input.unitDir, applicationsDir: input.applicationsDir, systemctl: systemctl.runner };

    expect((await uninstallService(locations))._unsafeUnwrap()).toEqual({ removed: [unitPath, desktopEntryPath] });
    await expect(stat(unitPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(desktopEntryPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await systemctl.calls()).slice(2)).toEqual([
      ['--user', 'disable', '--now', 'comfyui-dl.service'],
      ['--user', 'daemon-reload'],
    ]);

    expect((await uninstallService(locations))._unsafeUnwrap()).toEqual({ removed: [] });
    expect(await systemctl.calls()).toHaveLength(4);
  });

  it('keeps the files when systemd cannot be told to stop the service', async () => {
    const working = await fakeSystemctl(join(dir.path, 'working'));
    const input = options({ systemctl: working.runner });
    const { unitPath } = (await installService(input))._unsafeUnwrap();
    const broken = await fakeSystemctl(join(dir.path, 'broken'), NO_BUS);
    const error = (await uninstallService({ unitDir: input.unitDir, applicationsDir: input.applicationsDir, systemctl: broken.runner }))._unsafeUnwrapErr();
    expect(error.code).toBe('NO_USER_SYSTEMD');
    expect((await stat(unitPath)).isFile()).toBe(true);
  });
});

describe('serviceStatus', () => {
  const show = (lines: string[]): string => `[ "$2" = show ] && printf '%s\\n' ${lines.map((line) => `'${line}'`).join(' ')}; exit 0`;

  it('asks systemctl show for the properties and parses them', async () => {
    const systemctl = await fakeSystemctl(
      dir.path,
      show([
        'LoadState=loaded',
        'UnitFileState=enabled',
        'ActiveState=active',
        'SubState=running',
        'Result=success',
        'MainPID=4242',
        'NRestarts=2',
        'ExecMainStatus=0',
        'ActiveEnterTimestamp=Mon 2025-11-24 04:00:00 UTC',
      ]),
    );
    expect((await serviceStatus({ systemctl: systemctl.runner }))._unsafeUnwrap()).toEqual({
      installed: true,
      loadState: 'loaded',
      unitFileState: 'enabled',
      activeState: 'active',
      subState: 'running',
      result: 'success',
      mainPid: 4242,
      restarts: 2,
      lastExitStatus: 0,
      activeSince: 'Mon 2025-11-24 04:00:00 UTC',
    });
    expect(await systemctl.calls()).toEqual([
      ['--user', 'show', 'comfyui-dl.service', '-p', 'LoadState,UnitFileState,ActiveState,SubState,Result,MainPID,NRestarts,ExecMainStatus,ActiveEnterTimestamp'],
    ]);
  });

  it('reports a service systemd does not know as not installed', async () => {
    const systemctl = await fakeSystemctl(
      dir.path,
      show(['LoadState=not-found', 'UnitFileState=', 'ActiveState=inactive', 'SubState=dead', 'Result=success', 'MainPID=0', 'NRestarts=', 'ExecMainStatus=0', 'ActiveEnterTimestamp=']),
    );
    const status = (await serviceStatus({ systemctl: systemctl.runner }))._unsafeUnwrap();
    expect(status).toMatchObject({ installed: false, mainPid: null, restarts: 0, activeSince: null });
  });

  it('reports a crash loop stopped by the start limit', async () => {
    const systemctl = await fakeSystemctl(
      dir.path,
      show(['LoadState=loaded', 'UnitFileState=enabled', 'ActiveState=failed', 'SubState=failed', 'Result=start-limit-hit', 'MainPID=0', 'NRestarts=5', 'ExecMainStatus=1', 'ActiveEnterTimestamp=']),
    );
    const status = (await serviceStatus({ systemctl: systemctl.runner }))._unsafeUnwrap();
    expect(status).toMatchObject({ activeState: 'failed', result: 'start-limit-hit', restarts: 5, lastExitStatus: 1 });
  });

  it('refuses output it does not understand', async () => {
    const systemctl = await fakeSystemctl(dir.path, show(['LoadState=loaded', 'MainPID=many']));
    const error = (await serviceStatus({ systemctl: systemctl.runner }))._unsafeUnwrapErr();
    expect(error.code).toBe('SYSTEMCTL_FAILED');
    expect(error.message).toContain('MainPID');
  });

  it('says what to do without a user bus', async () => {
    const systemctl = await fakeSystemctl(dir.path, NO_BUS);
    expect((await serviceStatus({ systemctl: systemctl.runner }))._unsafeUnwrapErr().code).toBe('NO_USER_SYSTEMD');
  });
});
