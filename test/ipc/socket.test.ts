import { spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectIpc, daemonUnreachable } from '../../src/ipc/client.js';
import { PROTOCOL_VERSION } from '../../src/ipc/protocol.js';
import { startIpcServer, type IpcServer } from '../../src/ipc/server.js';
import { defaultMethods, startServer, tempDir } from './support.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let runDir: string;
let socketPath: string;
const servers: IpcServer[] = [];

beforeEach(async () => {
  dir = await tempDir();
  runDir = join(dir.path, 'run');
  socketPath = join(runDir, 'daemon.sock');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await dir.remove();
});

const start = (path = socketPath) =>
  startIpcServer({ socketPath: path, version: '9.9.9', methods: defaultMethods, subscribe: () => () => undefined });

/** What `kill -9` of a daemon leaves behind: a socket file nobody listens on. */
function leaveStaleSocket(path: string): void {
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
}

async function expectAnswers(path: string): Promise<void> {
  const client = (await connectIpc(path))._unsafeUnwrap();
  expect((await client.request('status')).isOk()).toBe(true);
  await client.close();
}

describe('socket ownership', () => {
  it('creates the folder 0700 and the socket 0600, and close() removes the socket', async () => {
    const server = await startServer(socketPath);
    expect((await stat(runDir)).mode & 0o777).toBe(0o700);
    const socket = await lstat(socketPath);
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);
    expect(await readdir(runDir)).toEqual(['daemon.sock']);
    await server.close();
    expect(await readdir(runDir)).toEqual([]);
  });

  it('tightens an existing folder of ours to 0700', async () => {
    await mkdir(runDir, { mode: 0o755 });
    await chmod(runDir, 0o755);
    servers.push(await startServer(socketPath));
    expect((await stat(runDir)).mode & 0o777).toBe(0o700);
  });

  it('refuses a group- or world-writable folder, a symlink, and a folder owned by someone else', async () => {
    await mkdir(runDir);
    await chmod(runDir, 0o777);
    const writable = (await start())._unsafeUnwrapErr();
    expect(writable.code).toBe('SOCKET_DIR_UNSAFE');
    expect(writable.message).toMatch(/writable by other users \(mode 777\).*--socket/);

    const real = join(dir.path, 'real');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, join(dir.path, 'link'));
    expect((await start(join(dir.path, 'link', 'daemon.sock')))._unsafeUnwrapErr().message).toMatch(/symbolic link/);

    if (process.getuid?.() === 0) {
      const foreign = join(dir.path, 'foreign');
      await mkdir(foreign, { mode: 0o700 });
      await chown(foreign, 4242, 4242);
      expect((await start(join(foreign, 'daemon.sock')))._unsafeUnwrapErr().message).toMatch(/owned by uid 4242/);
    }
  });

  it('refuses a socket path too long for a Unix socket', async () => {
    const long = join(dir.path, 'x'.repeat(120), 'daemon.sock');
    expect((await start(long))._unsafeUnwrapErr().code).toBe('SOCKET_PATH_TOO_LONG');
  });

  it('replaces a stale socket', async () => {
    await mkdir(runDir, { mode: 0o700 });
    leaveStaleSocket(socketPath);
    expect((await lstat(socketPath)).isSocket()).toBe(true);
    expect((await connectIpc(socketPath))._unsafeUnwrapErr()).toEqual(daemonUnreachable(socketPath));
    servers.push(await startServer(socketPath));
    await expectAnswers(socketPath);
  });

  it('refuses to start beside a live daemon and leaves its socket alone', async () => {
    servers.push(await startServer(socketPath));
    const second = (await start())._unsafeUnwrapErr();
    expect(second.code).toBe('DAEMON_RUNNING');
    expect(second.message).toContain(socketPath);
    await expectAnswers(socketPath);
    expect(await readdir(runDir)).toEqual(['daemon.sock']);
  });

  it('lets exactly one of two daemons racing for a stale socket win', async () => {
    await mkdir(runDir, { mode: 0o700 });
    leaveStaleSocket(socketPath);
    const results = await Promise.all([start(), start()]);
    const winners = results.filter((r) => r.isOk());
    expect(winners).toHaveLength(1);
    expect(results.find((r) => r.isErr())?._unsafeUnwrapErr().code).toBe('DAEMON_RUNNING');
    servers.push(winners[0]!._unsafeUnwrap());
    await expectAnswers(socketPath);
  });

  it('never deletes a file that is not a socket', async () => {
    await mkdir(runDir, { mode: 0o700 });
    await writeFile(socketPath, 'precious');
    expect((await start())._unsafeUnwrapErr().code).toBe('SOCKET_PATH_TAKEN');
    expect(await readFile(socketPath, 'utf8')).toBe('precious');
  });
});

describe('client connection errors', () => {
  it('says how to start the daemon when nothing listens', async () => {
    const result = await connectIpc(socketPath, { timeoutMs: 1000 });
    expect(result._unsafeUnwrapErr()).toEqual({
      code: 'DAEMON_UNREACHABLE',
      message: `comfyui-dl daemon is not running at ${socketPath}: start it with \`comfyui-dl daemon\` or \`systemctl --user start comfyui-dl\``,
    });
  });

  it('refuses a daemon that speaks another protocol version', async () => {
    const { createServer } = await import('node:net');
    await mkdir(runDir, { mode: 0o700 });
    const future = createServer((socket) => socket.write(`${JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION + 1, daemon: '9.0.0' })}\n`));
    await new Promise<void>((r) => future.listen(socketPath, r));
    const error = (await connectIpc(socketPath))._unsafeUnwrapErr();
    expect(error.code).toBe('PROTOCOL_MISMATCH');
    expect(error.message).toMatch(new RegExp(`protocol ${PROTOCOL_VERSION} but the daemon \\(comfyui-dl 9\\.0\\.0\\) speaks ${PROTOCOL_VERSION + 1}: restart the daemon`));
    future.close();
  });

  it('times out on a socket whose owner never answers the handshake', async () => {
    const { createServer } = await import('node:net');
    await mkdir(runDir, { mode: 0o700 });
    const mute = createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(socketPath, r));
    const result = await connectIpc(socketPath, { timeoutMs: 100 });
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'DAEMON_UNREACHABLE', message: expect.stringMatching(/did not answer within 100 ms/) });
    mute.close();
  });
});
