import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, rename, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { checkSocketPathLength, errnoCode, HOW_TO_CHOOSE_SOCKET } from './unix-path.js';

/**
 * Safe ownership of the daemon's socket path (ARCHITECTURE.md §5: folder 0700, socket 0600).
 *
 * The server listens on a private temporary name, gets chmod 0600 there, and is then hard-linked to
 * the public path. `link` fails if the path exists, so of two daemons starting at once exactly one
 * wins, and the socket is never reachable at the public path with a wider mode. We chmod after
 * listen instead of narrowing the umask because the umask is process-wide: other files the daemon
 * creates meanwhile would be affected. The 0700 folder closes the short window before the chmod.
 */

export type SocketSetupError = {
  readonly code: 'SOCKET_DIR_UNSAFE' | 'SOCKET_PATH_TOO_LONG' | 'SOCKET_PATH_TAKEN' | 'DAEMON_RUNNING' | 'SOCKET_LISTEN_FAILED';
  readonly message: string;
};

/** Creates the socket's folder 0700, or checks an existing one is ours and private. */
export async function prepareSocketDir(dir: string): Promise<Result<void, SocketSetupError>> {
  const unsafe = (why: string): Result<void, SocketSetupError> =>
    err({ code: 'SOCKET_DIR_UNSAFE', message: `refusing to use socket folder ${dir}: ${why}; ${HOW_TO_CHOOSE_SOCKET}` });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stat = await lstat(dir);
    if (stat.isSymbolicLink()) return unsafe('it is a symbolic link');
    if (!stat.isDirectory()) return unsafe('it is not a folder');
    const me = process.getuid?.();
    if (me !== undefined && stat.uid !== me) return unsafe(`it is owned by uid ${stat.uid}, not by you (uid ${me})`);
    const mode = stat.mode & 0o777;
    if ((mode & 0o022) !== 0) return unsafe(`it is writable by other users (mode ${mode.toString(8)})`);
    // Ours and not writable by others: tightening it is safe and what the user wants.
    if ((mode & 0o077) !== 0) await chmod(dir, 0o700);
    return ok(undefined);
  } catch (e) {
    return unsafe(`cannot create or inspect it (${errnoCode(e)})`);
  }
}

export interface ClaimedSocket {
  /** Removes the public path if it is still our socket (a successor may have replaced it). */
  release(): Promise<void>;
}

/** Listens on `socketPath`, replacing a stale socket and refusing to steal a live daemon's. */
export async function claimSocketPath(server: Server, socketPath: string): Promise<Result<ClaimedSocket, SocketSetupError>> {
  const privatePath = join(dirname(socketPath), `.${randomBytes(6).toString('hex')}.sock`);
  const length = checkSocketPathLength(privatePath);
  if (length.isErr()) return err(length.error);
  const listening = await listen(server, privatePath);
  if (listening.isErr()) return err(listening.error);
  try {
    await chmod(privatePath, 0o600);
    const inode = (await lstat(privatePath)).ino;
    const linked = await linkPublicPath(privatePath, socketPath);
    if (linked.isErr()) return err(linked.error);
    return ok({ release: () => unlinkIfSameInode(socketPath, inode) });
  } finally {
    await unlink(privatePath).catch(() => undefined);
  }
}

async function listen(server: Server, path: string): Promise<Result<void, SocketSetupError>> {
  return new Promise((resolve) => {
    const onError = (e: Error): void => {
      resolve(err({ code: 'SOCKET_LISTEN_FAILED', message: `cannot listen on ${path} (${errnoCode(e)}): ${HOW_TO_CHOOSE_SOCKET}` }));
    };
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve(ok(undefined));
    });
  });
}

const LINK_ATTEMPTS = 3;

async function linkPublicPath(privatePath: string, socketPath: string): Promise<Result<void, SocketSetupError>> {
  const running: SocketSetupError = {
    code: 'DAEMON_RUNNING',
    message: `a comfyui-dl daemon is already running at ${socketPath}: stop it first (systemctl --user stop comfyui-dl) or ${HOW_TO_CHOOSE_SOCKET}`,
  };
  for (let attempt = 0; attempt < LINK_ATTEMPTS; attempt++) {
    try {
      await link(privatePath, socketPath);
      return ok(undefined);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') {
        return err({ code: 'SOCKET_LISTEN_FAILED', message: `cannot create ${socketPath} (${errnoCode(e)}): ${HOW_TO_CHOOSE_SOCKET}` });
      }
    }
    const existing = await lstat(socketPath).catch(() => undefined);
    if (existing === undefined) continue;
    if (!existing.isSocket()) {
      return err({ code: 'SOCKET_PATH_TAKEN', message: `${socketPath} exists and is not a socket: remove it or ${HOW_TO_CHOOSE_SOCKET}` });
    }
    const state = await probe(socketPath);
    if (state === 'alive') return err(running);
    if (state === 'dead' && (await removeStale(socketPath)) === 'alive') return err(running);
  }
  return err(running);
}

type SocketState = 'alive' | 'dead' | 'gone';

const PROBE_TIMEOUT_MS = 1000;

/** A socket that accepts (or is too busy to) belongs to a live daemon; ECONNREFUSED means nobody listens. */
function probe(path: string): Promise<SocketState> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (state: SocketState): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('alive'), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done('alive'));
    socket.once('error', (e) => {
      const code = errnoCode(e);
      done(code === 'ECONNREFUSED' ? 'dead' : code === 'ENOENT' ? 'gone' : 'alive');
    });
  });
}

/**
 * Moves the stale socket aside before deleting it: if a racing daemon replaced it after our probe,
 * we notice (it answers under the new name), put it back and back off instead of deleting a live socket.
 */
async function removeStale(socketPath: string): Promise<SocketState> {
  const aside = join(dirname(socketPath), `.${randomBytes(6).toString('hex')}.stale`);
  try {
    await rename(socketPath, aside);
  } catch {
    return 'gone';
  }
  const state = await probe(aside);
  if (state === 'alive') await link(aside, socketPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return state;
}

async function unlinkIfSameInode(path: string, inode: number): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat?.ino === inode) await unlink(path).catch(() => undefined);
}
