import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventJson, JobJson } from '../../src/ipc/protocol.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, testBackend, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { cpuSeconds, sizedModel, waitFor } from '../support/downloads.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Files big enough to be mid-transfer whenever a test acts, under throttles that keep them there.
const BIG = sizedModel(7100, 64 * MiB, 'Sim Lifecycle Big');
const SECOND = sizedModel(7200, 24 * MiB, 'Sim Lifecycle Second');
const THIRD = sizedModel(7300, 32 * MiB, 'Sim Lifecycle Third');
const THROUGH_503S = sizedModel(7500, 24 * MiB, 'Sim Through 503s');
const WAITS = sizedModel(7600, 24 * MiB, 'Sim Waits');
const versionOf = (m: typeof BIG) => String(m.versions[0]!.id);
const fileOf = (m: typeof BIG) => m.versions[0]!.files[0]!.id;

async function job(home: DaemonHome, id: string): Promise<JobJson> {
  return (await cliJson<JobJson[]>(home, ['queue', '--all'])).find((j) => j.id === id)!;
}

async function history(home: DaemonHome, id: string): Promise<EventJson[]> {
  return cliJson<EventJson[]>(home, ['history', '--stream', `download-${id}`, '--limit', '10000']);
}

async function untilState(home: DaemonHome, id: string, states: readonly JobJson['state'][], timeoutMs = 90_000): Promise<JobJson> {
  return waitFor(async () => {
    const j = await job(home, id);
    return states.includes(j.state) ? j : undefined;
  }, timeoutMs, 200);
}

/** Waits until the job has durable bytes on disk, so a control acts on a transfer in flight. */
async function untilChunks(home: DaemonHome, id: string, count = 1): Promise<void> {
  await waitFor(async () => ((await history(home, id)).filter((e) => e.type === 'download.chunk_written').length >= count ? true : undefined), 60_000, 150);
}

function expectPlacedIntact(home: DaemonHome, sim: Simulator, j: JobJson): void {
  expect(j.state, j.error ?? '').toBe('completed');
  expect(sha256(readFileSync(join(home.modelsDir, j.path!)))).toBe(sha256(sim.fileBytes(j.fileId!)));
}

describe('a job lifecycle users can trust (spawned daemon, simulator)', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;

  beforeAll(async () => {
    sim = await startSimulator({ world: { models: [BIG, SECOND, THIRD] } });
    // Four connections at most: the pause test counts at most one chunk per connection after the pause.
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_CONCURRENCY: '1', COMFYUI_DL_CONNECTIONS: '4' });
    daemon = await spawnDaemon(home);
  });
  afterEach(() => sim.clearFaults());
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('keeps a pause final with bytes in flight, burns no CPU while paused, and lets the next job run', { timeout: 120_000 }, async () => {
    sim.addFault({ kind: 'throttle', bytesPerSecond: 1_500_000, fileId: fileOf(BIG), times: Infinity });
    const big = (await cliJson<JobJson>(home, ['add', '--version', versionOf(BIG)])).id;
    const second = (await cliJson<JobJson>(home, ['add', '--version', versionOf(SECOND)])).id;
    await untilChunks(home, big);

    const paused = await cliJson<JobJson>(home, ['pause', big]);
    expect(paused).toMatchObject({ state: 'paused', pausedReason: 'user' });
    const pausedAt = (await history(home, big)).findLast((e) => e.type === 'download.paused')!.position;
    // With concurrency 1, the paused job gives its slot to the next one, which completes while the first stays put.
    const before = cpuSeconds(daemon.child.pid!);
    const states = new Set<string>();
    const done = await waitFor(async () => {
      states.add((await job(home, big)).state);
      const s = await job(home, second);
      return s.state === 'completed' ? s : undefined;
    }, 60_000, 150);
    expectPlacedIntact(home, sim, done);
    expect([...states]).toEqual(['paused']);

    // Idle with a paused job: no loop restarts it.
    const idleFrom = cpuSeconds(daemon.child.pid!);
    await sleep(2000);
    expect(cpuSeconds(daemon.child.pid!) - idleFrom).toBeLessThan(0.3);
    expect(cpuSeconds(daemon.child.pid!) - before).toBeLessThan(30);
    const after = (await history(home, big)).filter((e) => e.position > pausedAt);
    // At most one chunk per connection lands after the pause answered; nothing moves the state.
    expect(after.filter((e) => e.type === 'download.chunk_written').length).toBeLessThanOrEqual(4);
    expect(after.filter((e) => e.type !== 'download.chunk_written')).toEqual([]);

    sim.clearFaults();
    expect((await cliJson<JobJson>(home, ['resume', big])).state).toBe('queued');
    expectPlacedIntact(home, sim, await untilState(home, big, ['completed', 'failed']));
  });

  it('cancels a transfer in flight for good', { timeout: 60_000 }, async () => {
    sim.addFault({ kind: 'throttle', bytesPerSecond: 1_000_000, fileId: fileOf(THIRD), times: Infinity });
    const id = (await cliJson<JobJson>(home, ['add', `${sim.apiUrl}/models/${THIRD.id}`])).id;
    const staging = join(home.modelsDir, '.comfyui-dl', 'staging');
    await untilChunks(home, id);
    expect(await cliJson<JobJson>(home, ['cancel', id])).toMatchObject({ state: 'cancelled' });
    for (let i = 0; i < 8; i++) {
      expect((await job(home, id)).state).toBe('cancelled');
      await sleep(150);
    }
    await waitFor(() => (existsSync(join(staging, `${id}.part`)) ? undefined : true), 10_000);
  });
});

describe('a job left alone finishes (spawned daemon, simulator faults)', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;

  beforeAll(async () => {
    sim = await startSimulator({ world: { models: [BIG, SECOND, THROUGH_503S, WAITS] } });
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    daemon = await spawnDaemon(home);
  });
  afterEach(() => sim.clearFaults());
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('rides out a 10 s outage of the storage host with no user action', { timeout: 120_000 }, async () => {
    sim.addFault({ kind: 'throttle', bytesPerSecond: 3_000_000, fileId: fileOf(BIG), times: 4 });
    const id = (await cliJson<JobJson>(home, ['add', '--version', versionOf(BIG)])).id;
    await untilChunks(home, id);
    await sim.outage('storage', 10_000);
    const done = await untilState(home, id, ['completed', 'failed'], 100_000);
    expectPlacedIntact(home, sim, done);
    const types = new Set((await history(home, id)).map((e) => e.type));
    expect(types.has('download.connection_retried')).toBe(true);
  });

  it('rides out a 10 s outage of the API with no user action', { timeout: 120_000 }, async () => {
    const id = (await cliJson<JobJson>(home, ['add', '--version', versionOf(SECOND)])).id;
    // The job has its CivitAI facts; asking for a download URL now meets the outage.
    await sim.outage('api', 10_000);
    const done = await untilState(home, id, ['completed', 'failed'], 100_000);
    expectPlacedIntact(home, sim, done);
  });

  it('completes through 30 503s in a row from the storage host, waiting between attempts', { timeout: 150_000 }, async () => {
    sim.addFault({ kind: 'throttle', bytesPerSecond: 2_000_000, fileId: fileOf(THROUGH_503S), times: 4 });
    const added = await cliJson<JobJson>(home, ['add', '--version', versionOf(THROUGH_503S)]);
    await untilChunks(home, added.id);
    // Every connection is cut, and each reconnect meets the storm.
    sim.addFault({ kind: 'status', status: 503, target: 'storage', times: 30 });
    await sim.outage('storage', 0);
    const seen = new Set<string>();
    const done = await waitFor(async () => {
      const j = await job(home, added.id);
      seen.add(j.state);
      if (j.state === 'waiting') expect(Date.parse(j.nextAttemptAt!)).toBeGreaterThan(Date.now() - 60_000);
      return j.state === 'completed' || j.state === 'failed' ? j : undefined;
    }, 140_000, 250);
    expectPlacedIntact(home, sim, done);
    expect(seen.has('waiting')).toBe(true);
    const events = await history(home, added.id);
    expect(events.some((e) => e.type === 'download.retry_scheduled')).toBe(true);
    expect(done.attempts).toBeGreaterThan(1);
  });

  it('keeps a waiting job waiting across a restart, and `resume` starts it at once', { timeout: 120_000 }, async () => {
    sim.addFault({ kind: 'status', status: 503, target: 'storage', times: Infinity });
    const id = (await cliJson<JobJson>(home, ['add', '--version', versionOf(WAITS)])).id;
    const waiting = await untilState(home, id, ['waiting'], 60_000);
    expect(waiting.nextAttemptAt).not.toBeNull();
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    daemon = await spawnDaemon(home);
    const after = await job(home, id);
    expect(after.state === 'waiting' || after.state === 'resolving' || after.state === 'downloading').toBe(true);
    sim.clearFaults();
    const resumed = await cli(home, ['resume', id, '--wait']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectPlacedIntact(home, sim, await job(home, id));
    // The completed job is the command's result: said once, on stdout, not again among the progress lines.
    expect(resumed.stdout).toMatch(new RegExp(`^job ${id} completed: .* verified\\)\n$`));
    expect(resumed.stderr).not.toContain(`job ${id} completed`);
  });
});

const asRoot = process.getuid?.() === 0;

/** A small tmpfs at `dir`, for a disk that fills; the tests that need one say so and skip without root. */
function mountTmpfs(dir: string, bytes: number): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  return () => execFileSync('umount', ['-l', dir]);
}

/** Fills the filesystem holding `dir` up to `leaveBytes` free, as another program would. */
function fillDisk(dir: string, leaveBytes = 0): string {
  const path = join(dir, 'filler.bin');
  const fd = openSync(path, 'w');
  try {
    for (const size of [MiB, 4096]) {
      const block = Buffer.alloc(size, 1);
      for (;;) {
        const { bavail, bsize } = statfsSync(dir);
        if (bavail * bsize - size < leaveBytes) break;
        try {
          writeSync(fd, block);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe.skipIf(!asRoot)('full disks (needs root for a tmpfs)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ world: { models: [BIG] } });
  });
  afterAll(async () => sim?.close());

  it('pauses on a full models disk with what is still needed, `add --wait` exits 4, and resume finishes', { timeout: 120_000 }, async () => {
    const home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    const unmount = mountTmpfs(home.modelsDir, 96 * MiB);
    let daemon: SpawnedDaemon | undefined;
    try {
      daemon = await spawnDaemon(home);
      sim.addFault({ kind: 'throttle', bytesPerSecond: 2_000_000, fileId: fileOf(BIG), times: Infinity });
      const waiting = cli(home, ['add', '--version', versionOf(BIG), '--wait'], { timeoutMs: 100_000 });
      const id = await waitFor(async () => (await cliJson<JobJson[]>(home, ['queue']))[0]?.id, 20_000);
      await untilChunks(home, id, 2);
      // Someone else fills the disk while the download runs.
      const filler = fillDisk(home.modelsDir, 2 * MiB);
      const waited = await waiting;
      expect(waited.code).toBe(4);
      expect(waited.stderr).toMatch(/paused: Not enough disk space: need [\d.]+ MiB/);
      const paused = await job(home, id);
      expect(paused).toMatchObject({ state: 'paused', pausedReason: 'disk_full' });
      const needed = Number(/need ([\d.]+) MiB/.exec(paused.error!)![1]) * MiB;
      // What is still missing, not the whole file.
      expect(needed).toBeLessThan(64 * MiB);
      expect(needed).toBeGreaterThan(0);
      rmSync(filler);
      sim.clearFaults();
      const resumed = await cli(home, ['resume', id, '--wait'], { timeoutMs: 100_000 });
      expect(resumed.code, resumed.stderr).toBe(0);
      expectPlacedIntact(home, sim, await job(home, id));
    } finally {
      await daemon?.stop();
      unmount();
      home.cleanup();
    }
  });

  // The full disk is the one under the SQLite log; a daemon on PostgreSQL keeps no log in the data folder.
  it.skipIf(testBackend === 'postgres')('holds downloads without a hot loop while the data folder is full, says so once, and recovers by itself', { timeout: 120_000 }, async () => {
    const home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    const unmount = mountTmpfs(home.dataDir, 24 * MiB);
    let daemon: SpawnedDaemon | undefined;
    try {
      daemon = await spawnDaemon(home);
      sim.addFault({ kind: 'throttle', bytesPerSecond: 2_000_000, fileId: fileOf(BIG), times: Infinity });
      const id = (await cliJson<JobJson>(home, ['add', '--version', versionOf(BIG)])).id;
      await untilChunks(home, id, 2);
      const filler = fillDisk(home.dataDir);
      await waitFor(() => (/cannot write the event log/.test(daemon!.stderr()) ? true : undefined), 30_000);
      const logged = daemon.stderr().length;
      const cpu = cpuSeconds(daemon.child.pid!);
      await sleep(5000);
      // Said once; no loop writing lines or burning a core.
      expect(daemon.stderr().length - logged).toBeLessThan(2000);
      expect(daemon.stderr().match(/cannot write the event log/g)).toHaveLength(1);
      expect(cpuSeconds(daemon.child.pid!) - cpu).toBeLessThan(1);
      const status = await cliJson<{ storageProblem: string | null }>(home, ['status']);
      expect(status.storageProblem).toMatch(/full/);
      rmSync(filler);
      sim.clearFaults();
      const done = await untilState(home, id, ['completed', 'failed'], 90_000);
      expectPlacedIntact(home, sim, done);
      expect(daemon.stderr()).toMatch(/can be written again/);
    } finally {
      await daemon?.stop();
      unmount();
      home.cleanup();
    }
  });
});
