import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHello } from '../ipc/support.js';
import { BIN, cli, cliJson, daemonHome, spawnDaemon, testBackend, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';

describe('the daemon as a process, through its socket and the CLI', () => {
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  beforeAll(async () => {
    home = daemonHome();
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    await daemon?.stop();
    home?.cleanup();
  });

  it('answers status, history and replay round trips', async () => {
    const status = await cliJson<{ pid: number; position: number; modelsDir: string }>(home, ['status']);
    expect(status).toMatchObject({ pid: daemon.child.pid, modelsDir: home.modelsDir });
    expect((await cli(home, ['config', 'set', 'concurrency', '3'])).code).toBe(0);
    const events = await cliJson<{ position: number; type: string; data: unknown; streamId: string; metadata: { actor: string } }[]>(home, ['history']);
    expect(events.at(-1)).toMatchObject({ type: 'settings.changed', streamId: 'settings', data: { key: 'concurrency', value: 3 }, metadata: { actor: 'cli' } });
    expect(await cliJson(home, ['replay'])).toMatchObject({ events: events.length, views: 10 });
    expect((await cliJson<{ concurrency: number }>(home, ['status'])).concurrency).toBe(3);
  });

  it('watch follows the log live, one JSON event per line', async () => {
    const watcher = spawn(process.execPath, [BIN, 'watch', '--json'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Give it time to subscribe, then append through another CLI.
    await new Promise((r) => setTimeout(r, 800));
    expect((await cli(home, ['config', 'set', 'connections', '7'])).code).toBe(0);
    for (let i = 0; i < 50 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 100));
    watcher.kill('SIGINT');
    const first = JSON.parse(out.split('\n')[0]!) as { type: string; data: unknown; position: number };
    expect(first).toMatchObject({ type: 'settings.changed', data: { key: 'connections', value: 7 } });
  });

  it('keeps the socket 0600 in a 0700 folder', () => {
    expect(statSync(home.socket).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(home.socket)).mode & 0o777).toBe(0o700);
  });

  it('answers malformed frames with errors and keeps serving', async () => {
    const raw = await rawHello(home.socket);
    raw.send(`${'x'.repeat(10 * 1024 * 1024)}\n`);
    expect(await raw.next(10_000)).toMatchObject({ t: 'error', error: { code: 'FRAME_TOO_LARGE' } });
    raw.send(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]));
    expect(await raw.next()).toMatchObject({ t: 'error', error: { code: 'BAD_FRAME' } });
    raw.send('{"t":"req","id":1,"method":"sta\n');
    expect(await raw.next()).toMatchObject({ t: 'error', error: { code: 'BAD_FRAME' } });
    raw.send(`${JSON.stringify({ t: 'req', id: 2, method: 'no.such.method', params: {} })}\n`);
    expect(await raw.next()).toMatchObject({ id: 2, ok: false, error: { code: 'UNKNOWN_METHOD' } });
    raw.send(`${JSON.stringify({ t: 'req', id: 3, method: 'history', params: { limit: 'many' } })}\n`);
    expect(await raw.next()).toMatchObject({ id: 3, ok: false, error: { code: 'BAD_PARAMS' } });
    raw.send(`${JSON.stringify({ t: 'req', id: 4, method: 'status' })}\n`);
    expect(await raw.next()).toMatchObject({ id: 4, ok: true });
    raw.socket.destroy();
    expect((await cli(home, ['status'])).code).toBe(0);
  });

  it('refuses a second daemon on the same data folder or socket', async () => {
    const second = await cli(home, ['daemon'], { timeoutMs: 15_000 });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/already/);
    expect((await cli(home, ['status'])).code).toBe(0);
  });

  it('uses the exit codes of the contract', async () => {
    expect((await cli(home, ['history', '--limit', 'x'])).code).toBe(2);
    expect((await cli(home, ['pause', 'nosuchjob'])).code).toBe(2);
    expect((await cli(home, ['no-such-command'])).code).toBe(2);
    const unreachable = await cli(home, ['status'], { env: { COMFYUI_DL_SOCKET: `${home.dir}/nowhere/d.sock` } });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/not running.*comfyui-dl daemon/);
  });
});

describe('a damaged or unusable setup', () => {
  // The damage is to the SQLite file; a daemon on PostgreSQL never opens it.
  it.skipIf(testBackend === 'postgres')('refuses a corrupt event log with a message that names the file and the fix', async () => {
    const home = daemonHome();
    try {
      mkdirSync(home.dataDir, { recursive: true });
      writeFileSync(join(home.dataDir, 'events.db'), Buffer.alloc(8192, 0x5a));
      const r = await cli(home, ['daemon'], { timeoutMs: 15_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(join(home.dataDir, 'events.db'));
      expect(r.stderr).toMatch(/is not an SQLite database .*: the daemon will not write to it\. Move .* aside/);
    } finally {
      home.cleanup();
    }
  });

  it('refuses a config file with bad JSON or unknown keys, saying where', async () => {
    const home = daemonHome();
    try {
      const file = join(home.dir, 'config.json');
      writeFileSync(file, '{ "concurrency": 3,\n  "modelsDir": }');
      const bad = await cli(home, ['status'], { env: { COMFYUI_DL_CONFIG: file } });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/config\.json is not valid JSON at line 2/);
      writeFileSync(file, JSON.stringify({ concurency: 3 }));
      const unknown = await cli(home, ['status'], { env: { COMFYUI_DL_CONFIG: file } });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown setting 'concurency'.*known settings: .*concurrency/);
    } finally {
      home.cleanup();
    }
  });
});

describe('stopping and crashing', () => {
  it('SIGTERM closes cleanly and removes the socket', async () => {
    const home = daemonHome();
    try {
      const daemon = await spawnDaemon(home);
      expect(await daemon.stop('SIGTERM')).toBe(0);
      expect(existsSync(home.socket)).toBe(false);
      expect(daemon.stderr()).toMatch(/stopped/);
    } finally {
      home.cleanup();
    }
  });

  it('after kill -9, a restart replaces the stale socket and every acknowledged append is there', async () => {
    const home = daemonHome();
    try {
      let daemon = await spawnDaemon(home);
      // Writers keep appending through the CLI while the daemon is killed under them.
      const acknowledged: number[] = [];
      const writers = Array.from({ length: 3 }, async (_, w) => {
        for (let i = 0; i < 30; i++) {
          const value = 1 + ((w * 30 + i) % 16);
          const r = await cli(home, ['config', 'set', 'connections', String(value)]);
          if (r.code === 0) acknowledged.push(value);
          else break;
        }
      });
      await new Promise((r) => setTimeout(r, 1500));
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await Promise.all(writers);
      expect(existsSync(home.socket)).toBe(true);
      daemon = await spawnDaemon(home);
      const events = await cliJson<{ type: string; data: { value: number } }[]>(home, ['history', '--type', 'settings.changed', '--limit', '10000']);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(events.length).toBeGreaterThanOrEqual(acknowledged.length);
      const stored = events.map((e) => e.data.value).sort();
      for (const v of acknowledged) expect(stored).toContain(v);
      // Per value: at least as many stored as acknowledged.
      const count = (xs: number[], v: number) => xs.filter((x) => x === v).length;
      for (const v of new Set(acknowledged)) expect(count(stored, v)).toBeGreaterThanOrEqual(count(acknowledged, v));
      await daemon.stop();
    } finally {
      home.cleanup();
    }
  });
});
