import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabaseSync } from '../../scripts/postgres-server.js';
import { connectIpc } from '../../src/ipc/client.js';
import { projectRoot } from '../../src/config/project-root.js';

export const BIN = join(projectRoot(import.meta.url), 'bin', 'comfyui-dl');

export interface DaemonHome {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly socket: string;
  readonly dataDir: string;
  readonly modelsDir: string;
  cleanup(): void;
}

// What test/support/postgres-backend.ts hands the workers on the PostgreSQL run.
declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { port: number; password: string };
  }
}

/** Where the daemons of this run keep their log: `COMFYUI_DL_TEST_BACKEND=postgres` (see vitest.config.ts) or SQLite. */
export const testBackend: 'sqlite' | 'postgres' = process.env.COMFYUI_DL_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A private home for one daemon: data, models, socket and config folders under one temp folder, and on the PostgreSQL
 * run a fresh database of its own (unless the test names one: several hosts sharing a database).
 */
export function daemonHome(extraEnv: NodeJS.ProcessEnv = {}): DaemonHome {
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-e2e-'));
  const socket = join(dir, 'run', 'daemon.sock');
  const dataDir = join(dir, 'data');
  const modelsDir = join(dir, 'models');
  mkdirSync(modelsDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'share'),
    XDG_RUNTIME_DIR: join(dir, 'xdg-run'),
    COMFYUI_DL_DATA_DIR: dataDir,
    COMFYUI_DL_SOCKET: socket,
    COMFYUI_MODELS_DIR: modelsDir,
    COMFYUI_DL_UPDATE_INTERVAL: '0',
    CIVITAI_BASE_URL: 'http://127.0.0.1:9',
    ...(testBackend === 'postgres' && !extraEnv.COMFYUI_DL_DATABASE_URL ? { COMFYUI_DL_DATABASE_URL: createDatabaseSync(inject('postgres')) } : {}),
    ...extraEnv,
  };
  return { dir, env, socket, dataDir, modelsDir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The rows of a home's event log in order, read straight from its database: it works while the daemon is down, and
 * readers never block it.
 */
export async function loggedRows(home: DaemonHome): Promise<{ type: string; data: string; metadata: string }[]> {
  const query = 'SELECT type, data, metadata FROM events ORDER BY global_position';
  const url = home.env.COMFYUI_DL_DATABASE_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ type: string; data: string; metadata: string }>(query)).rows;
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(home.dataDir, 'events.db'), { readonly: true });
  try {
    return db.prepare(query).all() as { type: string; data: string; metadata: string }[];
  } finally {
    db.close();
  }
}

export interface SpawnedDaemon {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  /** Resolves with the exit code once the process is gone. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `comfyui-dl daemon` as a real child process and waits until its socket answers. */
export async function spawnDaemon(home: DaemonHome, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<SpawnedDaemon> {
  const child = spawn(process.execPath, [BIN, 'daemon', ...args], { env: { ...home.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}) before answering: ${err}`);
    const c = await connectIpc(home.socket, { timeoutMs: 500 });
    if (c.isOk()) {
      await c.value.close();
      break;
    }
    if (Date.now() > deadline) throw new Error(`daemon did not answer within 15 s: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    stderr: () => err,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI binary as a user would. Asynchronous on purpose: a simulator serving the daemon may live in this
 * very process, and a blocking spawn would freeze it.
 */
export function cli(home: DaemonHome, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...home.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`comfyui-dl ${args.join(' ')} took longer than ${options.timeoutMs ?? 60_000} ms: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export async function cliJson<T>(home: DaemonHome, args: readonly string[]): Promise<T> {
  const r = await cli(home, [...args, '--json']);
  if (r.code !== 0) throw new Error(`comfyui-dl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
