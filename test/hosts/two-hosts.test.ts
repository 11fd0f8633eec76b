import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectIpc, type IpcClient } from '../../src/ipc/client.js';
import type { CatalogEntryJson, EventJson, JobJson, ResultOf } from '../../src/ipc/protocol.js';
import { BIG_FILE_IDS, bigFileModel, DEFAULT_IDS, defaultWorld, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { BIN, cli, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { waitFor } from '../support/downloads.js';
import { postgresMissing, startPostgres, type PgServer } from '../support/postgres.js';

const MiB = 1024 * 1024;
const SIZE = 128 * MiB;

/** Every file under a folder, as text: where a secret must not have been written. */
function filesUnder(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile() && statSync(path).size < 64 * MiB)
    .map((path) => ({ path, text: readFileSync(path).toString('latin1') }));
}

describe.skipIf(postgresMissing !== undefined)(`two hosts on one PostgreSQL database${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  let server: PgServer;
  let sim: Simulator;
  let url: string;
  let alpha: DaemonHome;
  let beta: DaemonHome;
  let a: SpawnedDaemon;
  let b: SpawnedDaemon;
  let watcher: IpcClient;
  const seenOnAlpha: EventJson[] = [];
  const outputs: string[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
    sim = await startSimulator({ world: { models: [...defaultWorld().models, bigFileModel(SIZE)] } });
    const env = (host: string) => ({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_DATABASE_URL: url, COMFYUI_DL_HOST_NAME: host });
    alpha = daemonHome(env('alpha'));
    beta = daemonHome(env('beta'));
    a = await spawnDaemon(alpha);
    b = await spawnDaemon(beta);
    watcher = (await connectIpc(alpha.socket))._unsafeUnwrap();
    watcher.subscribe({}, (frame) => {
      if (frame.t === 'event') seenOnAlpha.push(frame.event);
    });
  }, 90_000);

  afterAll(async () => {
    await watcher?.close();
    await a?.stop();
    await b?.stop();
    await sim?.close();
    await server?.stop();
    alpha?.cleanup();
    beta?.cleanup();
  });

  const run = async (home: DaemonHome, args: string[]) => {
    const r = await cli(home, args);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const json = async <T,>(home: DaemonHome, args: string[]): Promise<T> => {
    const r = await run(home, [...args, '--json']);
    if (r.code !== 0) throw new Error(`comfyui-dl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  it('a job queued on alpha for beta is downloaded by beta alone, survives kill -9 of beta, and alpha sees it live', { timeout: 180_000 }, async () => {
    // ~4 s for the whole file over 4 connections: long enough to kill beta in the middle.
    sim.addFault({ kind: 'throttle', bytesPerSecond: 8_000_000, fileId: BIG_FILE_IDS.fileId, times: Infinity });
    const added = await json<JobJson>(alpha, ['add', '--version', String(BIG_FILE_IDS.versionId), '--host', 'beta']);
    expect(added.host).toBe('beta');
    const job = added.id;

    // Beta starts it: its chunk events reach alpha's live feed as they are written.
    await waitFor(() => {
      const chunks = seenOnAlpha.filter((e) => e.streamId === `download-${job}` && e.type === 'download.chunk_written');
      return chunks.length >= 2 ? chunks : undefined;
    }, 60_000);
    b.child.kill('SIGKILL');
    await b.exited;
    const before = (await json<JobJson[]>(alpha, ['queue'])).find((j) => j.id === job)!;
    expect(before.state).not.toBe('completed');
    expect(before.bytesDone).toBeGreaterThan(0);

    // Alpha never touches beta's job, even with beta gone.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(seenOnAlpha.filter((e) => e.streamId === `download-${job}` && e.type === 'download.attempt_started')).toHaveLength(1);

    b = await spawnDaemon(beta);
    const done = await waitFor(async () => {
      const j = (await json<JobJson[]>(alpha, ['queue', '--all'])).find((x) => x.id === job);
      return j?.state === 'completed' ? j : undefined;
    }, 120_000);
    expect(done.host).toBe('beta');
    // `queue --host` keeps one host's jobs.
    expect((await json<JobJson[]>(alpha, ['queue', '--all', '--host', 'beta'])).map((j) => j.id)).toContain(job);
    expect((await json<JobJson[]>(alpha, ['queue', '--all', '--host', 'alpha'])).map((j) => j.id)).not.toContain(job);
    const onBeta = join(beta.modelsDir, done.path!);
    expect(createHash('sha256').update(readFileSync(onBeta)).digest('hex')).toBe(done.sha256);
    expect(existsSync(join(alpha.modelsDir, done.path!))).toBe(false);
    // Resumed, not started over: the restarted attempt planned the transfer from beta's durable chunks.
    const starts = seenOnAlpha.filter((e) => e.streamId === `download-${job}` && e.type === 'download.attempt_started');
    expect(starts.length).toBeGreaterThanOrEqual(2);
    await waitFor(() => seenOnAlpha.find((e) => e.streamId === `download-${job}` && e.type === 'download.placed'), 10_000);

    // Alpha's live feed: every position once, in order, alpha's and beta's events alike.
    const positions = seenOnAlpha.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('the catalog shows which host has which file; list is this host\'s, --all-hosts every host\'s', async () => {
    const every = await json<CatalogEntryJson[]>(alpha, ['list', '--all-hosts']);
    const big = every.find((m) => m.versionId === BIG_FILE_IDS.versionId);
    expect(big).toMatchObject({ host: 'beta' });
    expect((await json<CatalogEntryJson[]>(alpha, ['list'])).find((m) => m.versionId === BIG_FILE_IDS.versionId)).toBeUndefined();
    expect((await json<CatalogEntryJson[]>(beta, ['list'])).find((m) => m.versionId === BIG_FILE_IDS.versionId)).toMatchObject({ host: 'beta' });
    const table = await run(alpha, ['list', '--all-hosts']);
    expect(table.stdout).toMatch(/^HOST\s+PATH/m);
    expect(table.stdout).toMatch(/^beta\s+/m);
  });

  it('watch on alpha shows every host\'s events, each with the host that recorded it', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'watch', '--from', '1'], { env: alpha.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (/ beta {2}download-\S+ {2}download\.placed/.test(out) ? true : undefined), 20_000);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    outputs.push(out);
    expect(out).toMatch(/ alpha {2}download-\S+ {2}download\.requested/);
  });

  it('status lists both hosts with when each was last seen', async () => {
    const status = await json<ResultOf<'status'>>(alpha, ['status']);
    expect(status.host).toBe('alpha');
    expect(status.hosts?.map((h) => h.name)).toEqual(['alpha', 'beta']);
    for (const h of status.hosts ?? []) expect(Date.now() - Date.parse(h.lastSeenAt)).toBeLessThan(120_000);
    expect(status.hosts?.map((h) => h.running)).toEqual([0, 0]);
    expect(status.dbPath).toMatch(/^postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\//);
  });

  it('the database going away for a while loses nothing: the daemons say so, reconnect, and go on', { timeout: 120_000 }, async () => {
    const before = seenOnAlpha.length;
    await server.outage(2_000);
    await waitFor(() => (/live feed: connected to the database again/.test(a.stderr()) ? true : undefined), 30_000);
    expect(a.stderr()).toMatch(/live feed: (the database connection broke|lost the database)/);
    // Queued on beta through alpha after the outage: both work again, and alpha's feed follows beta's events.
    const added = await json<JobJson>(alpha, ['add', '--version', String(DEFAULT_IDS.vae.versionId), '--host', 'beta']);
    const done = await waitFor(async () => {
      const j = (await json<JobJson[]>(beta, ['queue', '--all'])).find((x) => x.id === added.id);
      return j?.state === 'completed' ? j : undefined;
    }, 60_000);
    expect(existsSync(join(beta.modelsDir, done.path!))).toBe(true);
    await waitFor(() => seenOnAlpha.slice(before).find((e) => e.streamId === `download-${added.id}` && e.type === 'download.placed'), 20_000);
    const positions = seenOnAlpha.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('a database that is not there yet is waited for, and a wrong password is refused: neither shows a password', { timeout: 60_000 }, async () => {
    const port = Number(new URL(url).port);
    const wrong = url.replace(server.password, `${server.password}x`);
    const refused = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_DATABASE_URL: wrong, COMFYUI_DL_HOST_NAME: 'gamma' });
    const r = await cli(refused, ['daemon'], { timeoutMs: 30_000 });
    outputs.push(r.stdout, r.stderr);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/password authentication failed/);
    refused.cleanup();

    // Nothing listens on port 1: the daemon says it waits and keeps trying until it is stopped.
    const away = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_DATABASE_URL: url.replace(`:${port}/`, ':1/'), COMFYUI_DL_HOST_NAME: 'delta' });
    const child = spawn(process.execPath, [BIN, 'daemon'], { env: away.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => (/trying again in \d+ s/.test(stderr) ? true : undefined), 20_000);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    outputs.push(stderr);
    expect(stderr).toMatch(/cannot use the event log at postgres:\/\/\*\*\*@127\.0\.0\.1:1\//);
    away.cleanup();
  });

  it('the database password is found nowhere: logs, outputs, config show, events, files', async () => {
    const shown = await run(alpha, ['config', 'show']);
    expect(shown.stdout).toContain('databaseUrl');
    outputs.push((await run(alpha, ['config', 'show', '--json'])).stdout);
    outputs.push((await run(alpha, ['history', '--json', '--limit', '10000'])).stdout);
    outputs.push((await run(alpha, ['queue', '--all'])).stdout, (await run(alpha, ['status'])).stdout);
    outputs.push(a.stderr(), b.stderr());
    for (const text of outputs) expect(text).not.toContain(server.password);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query<{ data: string; metadata: string }>('SELECT data, metadata FROM events')).rows;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(`${row.data}${row.metadata}`).not.toContain(server.password);
      const views = (await client.query<{ t: string }>("SELECT string_agg(v::text, '') AS t FROM view_catalog v")).rows[0]!.t;
      expect(views).not.toContain(server.password);
    } finally {
      await client.end();
    }
    for (const home of [alpha, beta]) {
      for (const f of filesUnder(home.dir)) expect(f.text.includes(server.password), f.path).toBe(false);
    }
  });
});
