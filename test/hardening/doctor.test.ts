import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, daemonHome, spawnDaemon, type DaemonHome } from '../support/daemon-process.js';
import { seedLog } from './support.js';

interface Check {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skip';
  readonly detail: string;
  readonly fix: string | null;
}

async function doctor(home: DaemonHome, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; ok: boolean; checks: Map<string, Check> }> {
  const r = await cli(home, ['doctor', '--json'], { env });
  const parsed = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  return { code: r.code, ok: parsed.ok, checks: new Map(parsed.checks.map((c) => [c.name, c])) };
}

const CHECKS = ['config', 'data folder', 'event log', 'daemon and socket', 'socket folder', 'free space (data)', 'free space (models)', 'API key', 'systemd unit', 'models folder', 'extra_model_paths.yaml'];

describe('comfyui-dl doctor', () => {
  it('passes a working setup with a running daemon (exit 0), and prints a line per check', async () => {
    const home = daemonHome({ CIVITAI_API_KEY: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' });
    try {
      mkdirSync(join(home.modelsDir, 'loras'), { recursive: true });
      const daemon = await spawnDaemon(home);
      const result = await doctor(home);
      expect([...result.checks.keys()]).toEqual(CHECKS);
      expect(result).toMatchObject({ code: 0, ok: true });
      for (const check of result.checks.values()) expect(check.status, `${check.name}: ${check.detail}`).toBe('ok');
      expect(result.checks.get('daemon and socket')!.detail).toContain(`(pid ${daemon.child.pid}) answers on ${home.socket}`);
      expect(result.checks.get('event log')!.detail).toContain("passes SQLite's quick_check");
      const text = await cli(home, ['doctor']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^ok {4}config/m);
      expect(text.stdout).toContain('no problems found');
      await daemon.stop();
    } finally {
      home.cleanup();
    }
  });

  it('finds each problem and says how to fix it (exit 1)', async () => {
    const home = daemonHome();
    try {
      // A damaged log, an open data folder, a socket folder others can enter, no models folder, a stale unit.
      await seedLog(home.dataDir, 200);
      const db = join(home.dataDir, 'events.db');
      const fd = openSync(db, 'r+');
      writeSync(fd, randomBytes(4096), 0, 4096, Math.floor(statSync(db).size / 8192) * 4096);
      closeSync(fd);
      chmodSync(home.dataDir, 0o755);
      mkdirSync(join(home.dir, 'run'), { recursive: true, mode: 0o755 });
      chmodSync(join(home.dir, 'run'), 0o755);
      execFileSync('rm', ['-rf', home.modelsDir]);
      const unitDir = join(home.dir, 'config', 'systemd', 'user');
      mkdirSync(unitDir, { recursive: true });
      writeFileSync(join(unitDir, 'comfyui-dl.service'), `[Service]\nExecStart="/nonexistent/node" "${join(home.dir, 'bin')}" daemon\nReadWritePaths="/somewhere/else"\n`);

      const result = await doctor(home);
      expect(result).toMatchObject({ code: 1, ok: false });
      const status = Object.fromEntries([...result.checks.values()].map((c) => [c.name, c.status]));
      expect(status).toMatchObject({
        'data folder': 'warn', 'event log': 'fail', 'daemon and socket': 'warn', 'socket folder': 'fail', 'API key': 'warn', 'systemd unit': 'fail', 'models folder': 'fail',
      });
      const fixOf = (name: string) => result.checks.get(name)!.fix;
      expect(result.checks.get('event log')!.detail).toMatch(/events\.db is damaged/);
      expect(fixOf('event log')).toMatch(/comfyui-dl replay/);
      expect(fixOf('data folder')).toBe(`chmod 700 ${home.dataDir}`);
      expect(fixOf('socket folder')).toBe(`chmod 700 ${join(home.dir, 'run')}`);
      expect(fixOf('models folder')).toMatch(/--models-dir/);
      expect(result.checks.get('systemd unit')!.detail).toContain('starts node from /nonexistent/node, which does not exist');
      expect(fixOf('systemd unit')).toMatch(/comfyui-dl service install/);
      for (const check of result.checks.values()) if (check.status !== 'ok') expect(check.fix, check.name).toBeTruthy();
    } finally {
      home.cleanup();
    }
  });

  it('tells a daemon that holds the data folder but listens elsewhere from one that is not running', async () => {
    const home = daemonHome();
    try {
      const elsewhere = join(home.dir, 'other', 'd.sock');
      const daemon = await spawnDaemon({ ...home, socket: elsewhere }, [], { COMFYUI_DL_SOCKET: elsewhere });
      const result = await doctor(home);
      expect(result.code).toBe(1);
      expect(result.checks.get('daemon and socket')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`a daemon holds ${home.dataDir} but does not answer on ${home.socket}`) });
      await daemon.stop();
    } finally {
      home.cleanup();
    }
  });

  it('reports a config that cannot be loaded as its one failing check', async () => {
    const home = daemonHome();
    try {
      const file = join(home.dir, 'config.json');
      writeFileSync(file, '{"pathTemplate": "{folder}/../{fileName}"}');
      const result = await doctor(home, { COMFYUI_DL_CONFIG: file });
      expect(result.code).toBe(1);
      expect([...result.checks.values()]).toEqual([expect.objectContaining({ name: 'config', status: 'fail', detail: expect.stringContaining('".." segment') })]);
    } finally {
      home.cleanup();
    }
  });

  // Needs root: mounts a small tmpfs as the data folder so that the file system really is nearly full.
  it('reports a data folder on a nearly full file system (root: a 64 MiB tmpfs)', async (context) => {
    if (process.getuid?.() !== 0) context.skip('needs root to mount a tmpfs');
    const home = daemonHome();
    try {
      mkdirSync(home.dataDir, { recursive: true, mode: 0o700 });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', home.dataDir], { stdio: 'ignore' });
      } catch {
        context.skip('mount is not permitted here (no CAP_SYS_ADMIN)');
      }
      try {
        const result = await doctor(home);
        expect(result.checks.get('free space (data)')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^0\.\d GiB free on the file system of /) });
        expect(result.code).toBe(1);
      } finally {
        execFileSync('umount', [home.dataDir]);
      }
    } finally {
      home.cleanup();
    }
  });
});
