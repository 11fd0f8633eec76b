import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventJson, JobJson } from '../../src/ipc/protocol.js';
import { BIG_FILE_IDS, bigFileModel, defaultWorld, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { sizedModel, waitFor } from '../support/downloads.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
/** What the engine may fetch again per segment after a crash: one durable step (16 MiB) plus in-flight slack. */
const CHUNK = 16 * MiB;
const SLOW = sizedModel(7400, 48 * MiB, 'Sim Slow');

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 8 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Bytes the storage host was asked for, from the Range headers it recorded (a rangeless GET counts the whole file). */
function bytesRequested(sim: Simulator, from: number): number {
  return sim.requests.slice(from).filter((r) => r.host === 'storage' && r.method === 'GET').reduce((sum, r) => {
    const m = /bytes=(\d+)-(\d*)/.exec(String(r.headers.range ?? ''));
    if (!m) return sum + SIZE;
    const start = Number(m[1]);
    const end = m[2] ? Number(m[2]) + 1 : SIZE;
    return sum + (end - start);
  }, 0);
}

async function jobOf(home: DaemonHome, id: string): Promise<JobJson> {
  return (await cliJson<JobJson[]>(home, ['queue', '--all'])).find((j) => j.id === id)!;
}

describe('a large download across a crash and user controls', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  beforeAll(async () => {
    sim = await startSimulator({ world: { models: [...defaultWorld().models, bigFileModel(SIZE), SLOW] } });
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('resumes after kill -9 from the log, fetching at most one chunk per segment again', { timeout: 120_000 }, async () => {
    // 4 connections at 24 MB/s each: the 256 MiB file takes ~3 s, long enough to be killed in the middle.
    sim.addFault({ kind: 'throttle', bytesPerSecond: 24_000_000, fileId: BIG_FILE_IDS.fileId, times: Infinity });
    daemon = await spawnDaemon(home);
    const added = await cliJson<JobJson>(home, ['add', '--version', String(BIG_FILE_IDS.versionId)]);
    const job = added.id;
    // Wait until some chunks are durable, then kill the daemon without warning.
    await waitFor(async () => {
      const chunks = await cliJson<EventJson[]>(home, ['history', '--stream', `download-${job}`, '--type', 'download.chunk_written']);
      return chunks.length >= 4 ? chunks : undefined;
    });
    daemon.child.kill('SIGKILL');
    await daemon.exited;

    const requestsBefore = sim.requests.length;
    daemon = await spawnDaemon(home);
    const history = await cliJson<EventJson[]>(home, ['history', '--stream', `download-${job}`, '--limit', '10000']);
    const durableBefore = history.filter((e) => e.type === 'download.chunk_written').reduce((n, e) => n + (e.data.length as number), 0);
    const segments = (history.find((e) => e.type === 'download.transfer_planned')!.data.segments as unknown[]).length;
    sim.clearFaults();
    const done = await waitFor(async () => {
      const j = await jobOf(home, job);
      return j.state === 'completed' || j.state === 'failed' ? j : undefined;
    });
    expect(done.state, done.error ?? '').toBe('completed');
    expect(await fileSha256(join(home.modelsDir, done.path!))).toBe(sim.world.file(BIG_FILE_IDS.fileId)!.servedSha256.toLowerCase());
    expect(durableBefore).toBeGreaterThan(0);
    const refetched = bytesRequested(sim, requestsBefore) - (SIZE - durableBefore);
    expect(refetched).toBeLessThanOrEqual(segments * CHUNK);
  });

  it('pauses, resumes and cancels a transfer; cancel removes the partial file', async () => {
    const stagingDir = join(home.modelsDir, '.comfyui-dl', 'staging');
    // A 48 MiB file at 1 MB/s per connection: seconds of transfer left whenever the controls act.
    sim.addFault({ kind: 'throttle', bytesPerSecond: 1_000_000, fileId: SLOW.versions[0]!.files[0]!.id, times: Infinity });
    try {
      const job = (await cliJson<JobJson>(home, ['add', '--version', String(SLOW.versions[0]!.id)])).id;
      await waitFor(async () => ((await jobOf(home, job)).bytesDone > 0 ? true : undefined));
      expect((await cliJson<JobJson>(home, ['pause', job])).state).toBe('paused');
      expect((await cli(home, ['pause', job])).code).toBe(0); // already paused: nothing to do, no error
      expect((await cliJson<JobJson>(home, ['resume', job])).state).toBe('queued');
      expect((await cliJson<JobJson>(home, ['cancel', job])).state).toBe('cancelled');
      await waitFor(async () => (readdirSync(stagingDir).some((f) => f.startsWith(job)) ? undefined : true));
      expect(existsSync(join(stagingDir, `${job}.part`))).toBe(false);
      const again = await cli(home, ['resume', job]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/retry/);
    } finally {
      sim.clearFaults();
    }
  });
});
