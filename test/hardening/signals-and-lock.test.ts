import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, LOCK_FILE, PID_FILE } from '../../src/data-dir/lock.js';
import { cli, daemonHome, spawnDaemon } from '../support/daemon-process.js';

describe('stopping signals', () => {
  it.each(['SIGHUP', 'SIGINT', 'SIGTERM'] as const)('%s stops the daemon gracefully: exit 0, socket and pid file gone, lock free', async (signal) => {
    const home = daemonHome();
    try {
      const daemon = await spawnDaemon(home);
      expect(existsSync(join(home.dataDir, PID_FILE))).toBe(true);
      expect(await daemon.stop(signal)).toBe(0);
      expect(daemon.child.signalCode).toBeNull();
      expect(daemon.stderr()).toMatch(/stopping: finishing the current transaction[\s\S]*comfyui-dl daemon stopped/);
      expect(existsSync(home.socket)).toBe(false);
      expect(existsSync(join(home.dataDir, PID_FILE))).toBe(false);
      // The lock file stays (deleting it would race a starting daemon), but nobody holds it.
      expect(existsSync(join(home.dataDir, LOCK_FILE))).toBe(true);
      const lock = acquireDataDirLock(home.dataDir);
      expect(lock.isOk()).toBe(true);
      lock._unsafeUnwrap().release();
    } finally {
      home.cleanup();
    }
  });
});

describe('the single-daemon lock', () => {
  it('ignores a stale pid file that names a live, unrelated process', async () => {
    const home = daemonHome();
    // A process that certainly lives, and is certainly not a comfyui-dl daemon.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      mkdirSync(home.dataDir, { recursive: true });
      writeFileSync(join(home.dataDir, PID_FILE), `${bystander.pid}\n`);
      const daemon = await spawnDaemon(home);
      expect((await cli(home, ['status'])).code).toBe(0);
      expect(await daemon.stop()).toBe(0);
      expect(bystander.exitCode).toBeNull();
    } finally {
      bystander.kill();
      home.cleanup();
    }
  });

  it('refuses a second daemon on the same data folder (another socket), naming the first', async () => {
    const home = daemonHome();
    try {
      const daemon = await spawnDaemon(home);
      const second = await cli(home, ['daemon'], { env: { COMFYUI_DL_SOCKET: join(home.dir, 'other', 'd.sock') }, timeoutMs: 15_000 });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`another comfyui-dl daemon (pid ${daemon.child.pid}) already uses this data folder`);
      expect((await cli(home, ['status'])).code).toBe(0);
      await daemon.stop();
    } finally {
      home.cleanup();
    }
  });

  it('is freed by the kernel when the daemon is killed with SIGKILL', async () => {
    const home = daemonHome();
    try {
      const first = await spawnDaemon(home);
      first.child.kill('SIGKILL');
      await first.exited;
      // The pid file and socket are left behind; neither keeps the next daemon out.
      expect(existsSync(join(home.dataDir, PID_FILE))).toBe(true);
      const second = await spawnDaemon(home);
      expect((await cli(home, ['status'])).code).toBe(0);
      expect(await second.stop()).toBe(0);
    } finally {
      home.cleanup();
    }
  });

  it('is held against this very process too, and a refused attempt here does not loosen it for others', async () => {
    const home = daemonHome();
    try {
      mkdirSync(home.dataDir, { recursive: true });
      const held = acquireDataDirLock(home.dataDir)._unsafeUnwrap();
      expect(acquireDataDirLock(home.dataDir)._unsafeUnwrapErr().code).toBe('DAEMON_RUNNING');
      // fcntl locks are per process and drop when any descriptor of the file closes: the refused attempt above
      // must not have closed one, or this daemon would now start.
      const other = await cli(home, ['daemon'], { timeoutMs: 15_000 });
      expect(other.code).toBe(1);
      expect(other.stderr).toContain(`another comfyui-dl daemon (pid ${process.pid}) already uses this data folder`);
      held.release();
      acquireDataDirLock(home.dataDir)._unsafeUnwrap().release();
    } finally {
      home.cleanup();
    }
  });
});
