import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, daemonHome, type DaemonHome } from '../support/daemon-process.js';
import { fakeSystemctl, tempDirOutsideTmp, type TempDir } from './support.js';

describe('comfyui-dl service, as a user runs it', () => {
  let home: DaemonHome;
  let outside: TempDir;
  beforeEach(async () => {
    outside = await tempDirOutsideTmp();
    home = daemonHome({
      COMFYUI_MODELS_DIR: join(outside.path, 'models'),
      COMFYUI_DL_DATA_DIR: join(outside.path, 'data'),
      COMFYUI_DL_SOCKET: join(outside.path, 'run', 'daemon.sock'),
      XDG_CONFIG_HOME: join(outside.path, 'config'),
      XDG_DATA_HOME: join(outside.path, 'share'),
    });
  });
  afterEach(async () => {
    home.cleanup();
    await outside.remove();
  });

  it('installs the unit with the resolved folders, enables it, and uninstalls it', async () => {
    const fake = await fakeSystemctl(outside.path);
    const env = { PATH: `${join(outside.path, 'bin')}${delimiter}${process.env.PATH ?? ''}` };
    const installed = await cli(home, ['service', 'install'], { env });
    expect(installed.code, installed.stderr).toBe(0);
    const unit = readFileSync(join(outside.path, 'config', 'systemd', 'user', 'comfyui-dl.service'), 'utf8');
    expect(unit).toContain(join(outside.path, 'models'));
    expect(unit).toContain('COMFYUI_DL_SOCKET');
    expect(unit).not.toMatch(/CIVITAI_API_KEY/);
    expect(existsSync(join(outside.path, 'share', 'applications', 'comfyui-dl.desktop'))).toBe(true);
    expect((await fake.calls()).map((c) => c.slice(0, 3).join(' '))).toContain('--user enable --now');
    expect((await cli(home, ['service', 'uninstall'], { env })).code).toBe(0);
    expect(existsSync(join(outside.path, 'config', 'systemd', 'user', 'comfyui-dl.service'))).toBe(false);
  });

  it('says what to do when there is no user systemd', async () => {
    await fakeSystemctl(outside.path, 'echo "Failed to connect to bus: No medium found" >&2; exit 1');
    const r = await cli(home, ['service', 'status'], { env: { PATH: `${join(outside.path, 'bin')}${delimiter}${process.env.PATH ?? ''}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/comfyui-dl daemon/);
  });
});
