import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server for a test file or a benchmark: initdb in a temp folder, then `postgres` on 127.0.0.1 on a
 * free port, password authentication (SCRAM), stopped by its PID at the end. As root it runs as an unprivileged user
 * (PostgreSQL refuses root). `postgresMissing` says why none can be started here.
 */

export interface PgServer {
  /** A fresh, empty database on the server, as a URL with the password in it. */
  createDatabase(): Promise<string>;
  readonly password: string;
  readonly port: number;
  /** Shuts the server down (dropping every connection), waits `ms`, and starts it again on the same port. */
  outage(ms: number): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'comfy';

function binDir(): string | undefined {
  const fromEnv = process.env.COMFYUI_DL_PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join(root, newest, 'bin') : undefined;
}

/** The account the server runs as when we are root: Debian's `postgres` if the package made it, else `nobody`. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { name, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return undefined;
}

export const postgresMissing: string | undefined = (() => {
  if (!binDir()) return 'PostgreSQL server binaries not found (install Debian\'s postgresql package or set COMFYUI_DL_PG_BIN)';
  if (userInfo().uid === 0 && !serverUser()) return 'running as root and no unprivileged user to run PostgreSQL as';
  return undefined;
})();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let syncDatabases = 0;

/**
 * A fresh, empty database on a running server, made with the server's own `createdb` and waited for: for a caller
 * that cannot wait on a promise (a test's daemon home is made synchronously).
 */
export function createDatabaseSync(server: { readonly port: number; readonly password: string }): string {
  const bin = binDir();
  if (!bin) throw new Error(postgresMissing);
  const name = `s${process.pid}_${++syncDatabases}`;
  const made = spawnSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(server.port), '-U', USER, name], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, PGPASSWORD: server.password },
  });
  if (made.status !== 0) throw new Error(`createdb failed: ${made.stderr}`);
  return `postgres://${USER}:${server.password}@127.0.0.1:${server.port}/${name}`;
}

/** `durable`: fsync and synchronous commit on, as a real server runs (benchmarks); tests trade them for speed. */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PgServer> {
  const bin = binDir();
  if (!bin) throw new Error(postgresMissing);
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-pg-'));
  // Letters and digits with a marker: a test can search every output for it.
  const password = `canary${randomBytes(9).toString('hex')}`;
  writeFileSync(join(dir, 'pw'), password, { mode: 0o600 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(join(dir, 'pw'), user.uid, user.gid);
  }
  const as = (cmd: string, args: string[]): [string, string[]] => (user ? ['runuser', ['-u', user.name, '--', cmd, ...args]] : [cmd, args]);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = as(join(bin, 'initdb'), ['-D', data, '-U', USER, `--pwfile=${join(dir, 'pw')}`, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const logFd = openSync(join(dir, 'server.log'), 'a');
  if (user) chownSync(join(dir, 'server.log'), user.uid, user.gid);
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
    '-c', 'max_connections=200',
    // A test server: speed over durability, and little memory (several run side by side, in small containers too).
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB']),
  ]);
  const admin = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
  const launch = async () => {
    const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', logFd, logFd] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: admin });
      try {
        await client.connect();
        await client.end();
        // Wrapped: an async function would wait for a promise it returns.
        return { exited };
      } catch (e) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n${readFileSync(join(dir, 'server.log'), 'utf8')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  // The postmaster's own PID (runuser sits between us and it); SIGINT is PostgreSQL's fast shutdown.
  const shutDown = async ({ exited }: { exited: Promise<void> }) => {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGINT');
    await exited;
  };
  let running = await launch();
  let databases = 0;
  return {
    password,
    port,
    createDatabase: async () => {
      const name = `t${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return `postgres://${USER}:${password}@127.0.0.1:${port}/${name}`;
    },
    outage: async (ms) => {
      await shutDown(running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running = await launch();
    },
    stop: async () => {
      await shutDown(running);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
