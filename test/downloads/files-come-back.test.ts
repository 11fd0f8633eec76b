// Files that went away (ARCHITECTURE.md §8), end to end through a spawned daemon and the CivitAI simulator: `add`
// repairs a missing or changed file, `verify --repair` queues the repairs, a version a scan found is not downloaded
// twice, a failed job is retried rather than doubled, and `updates get` fetches a file CivitAI replaced.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntryJson, JobJson, ResultOf } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait, waitFor } from '../support/downloads.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ids = DEFAULT_IDS;

type AddJson = JobJson & { existing: boolean; retried: boolean; repair: boolean };
type VerifyJson = ResultOf<'verify'>['results'];

describe('files that went away come back', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  const add = async (args: readonly string[]): Promise<AddJson> => {
    const r = await cli(home, ['add', ...args, '--json']);
    if (r.code !== 0) throw new Error(`add ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as AddJson;
  };
  const finished = (jobId: string): Promise<JobJson> =>
    waitFor(async () => {
      const job = (await cliJson<JobJson[]>(home, ['queue', '--all'])).find((j) => j.id === jobId);
      return job && ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
    });
  const jobsOf = async (versionId: number) => (await cliJson<JobJson[]>(home, ['queue', '--all'])).filter((j) => j.versionId === versionId);
  const onDisk = (path: string) => readFileSync(join(home.modelsDir, path));

  beforeAll(async () => {
    sim = await startSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('add downloads a deleted file again in a new job that says repair, back where it was', async () => {
    const first = await addAndWait(home, ['--version', String(ids.vae.versionId)]);
    expect(first.code, first.stderr).toBe(0);
    const path = first.job!.path!;
    rmSync(join(home.modelsDir, path));
    // No scan has seen it go: the disk has the last word over the views.
    const again = await add(['--version', String(ids.vae.versionId)]);
    expect(again).toMatchObject({ repair: true, existing: false, retried: false });
    expect(again.id).not.toBe(first.job!.id);
    expect(await finished(again.id)).toMatchObject({ state: 'completed', path });
    expect(sha256(onDisk(path))).toBe(first.job!.sha256);
    const text = await cli(home, ['add', '--version', String(ids.vae.versionId)]);
    expect(text.stdout).toMatch(/^already have it: job \S+ completed/);
  });

  it('add downloads a file again once verify found other bytes in it; the damaged copy is left beside it', async () => {
    const first = await addAndWait(home, ['--version', String(ids.embedding.versionId)]);
    expect(first.code, first.stderr).toBe(0);
    const path = first.job!.path!;
    const damaged = Buffer.alloc(onDisk(path).length, 0x5a);
    writeFileSync(join(home.modelsDir, path), damaged);
    const verified = await cli(home, ['verify', path, '--json']);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toEqual([{ path, status: 'changed', expected: first.job!.sha256, actual: sha256(damaged) }]);
    const queued = await cli(home, ['add', '--version', String(ids.embedding.versionId)]);
    expect(queued.stdout).toMatch(/^queued job \S+ to repair the copy that is missing or changed/);
    const job = await finished(/^queued job (\S+)/.exec(queued.stdout)![1]!);
    expect(job.state).toBe('completed');
    expect(job.path).not.toBe(path);
    expect(sha256(onDisk(job.path!))).toBe(first.job!.sha256);
    expect(onDisk(path)).toEqual(damaged);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list.filter((e) => e.versionId === ids.embedding.versionId).map((e) => [e.path, e.changed])).toEqual([[path, true], [job.path, false]].sort());
  });

  it('add downloads a file again whose size changed, without waiting for a scan or verify', async () => {
    const first = await addAndWait(home, ['--version', String(ids.sdxlLora.versionId)]);
    expect(first.code, first.stderr).toBe(0);
    truncateSync(join(home.modelsDir, first.job!.path!), 100);
    const again = await add(['--version', String(ids.sdxlLora.versionId)]);
    expect(again.repair).toBe(true);
    expect(await finished(again.id)).toMatchObject({ state: 'completed', sha256: first.job!.sha256 });
  });

  it('verify --repair queues a fresh download for every missing or changed file it finds', async () => {
    const gone = await addAndWait(home, ['--version', String(ids.controlnet.versionId)]);
    const changed = await addAndWait(home, ['--version', String(ids.fluxUnetAsCheckpoint.versionId)]);
    expect([gone.code, changed.code]).toEqual([0, 0]);
    rmSync(join(home.modelsDir, gone.job!.path!));
    writeFileSync(join(home.modelsDir, changed.job!.path!), Buffer.alloc(onDisk(changed.job!.path!).length, 1));
    const r = await cli(home, ['verify', gone.job!.path!, changed.job!.path!, '--repair', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as VerifyJson;
    expect(results.map((x) => [x.path, x.status])).toEqual([[gone.job!.path, 'missing'], [changed.job!.path, 'changed']]);
    for (const x of results) expect(x.repair).toMatchObject({ jobId: expect.any(String), error: null });
    const repaired = await Promise.all(results.map((x) => finished(x.repair!.jobId!)));
    expect(repaired.map((j) => [j.state, j.versionId, j.sha256])).toEqual([
      ['completed', ids.controlnet.versionId, gone.job!.sha256],
      ['completed', ids.fluxUnetAsCheckpoint.versionId, changed.job!.sha256],
    ]);
    expect(repaired[0]!.path).toBe(gone.job!.path);
    // Asked again, the changed copy is still changed, but an intact one is there now: nothing more is queued.
    const again = JSON.parse((await cli(home, ['verify', changed.job!.path!, '--repair', '--json'])).stdout) as VerifyJson;
    expect(again[0]!.repair).toEqual({ jobId: null, intactAt: repaired[1]!.path, error: null });
    expect(await jobsOf(ids.fluxUnetAsCheckpoint.versionId)).toHaveLength(2);
  });

  it('a version a scan identified is already there: add makes no job and no second copy', async () => {
    const mine = join(home.modelsDir, 'checkpoints', 'mine', 'my-realistic.safetensors');
    mkdirSync(join(mine, '..'), { recursive: true });
    writeFileSync(mine, sim.fileBytes(ids.sd15Checkpoint.fileId));
    const lastWeek = new Date(Date.now() - 7 * 86_400_000);
    utimesSync(mine, lastWeek, lastWeek);
    await cliJson(home, ['scan', '--wait']);
    const added = await cli(home, ['add', '--version', String(ids.sd15Checkpoint.versionId), '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ existing: true, repair: false, path: 'checkpoints/mine/my-realistic.safetensors', origin: 'scan', versionId: ids.sd15Checkpoint.versionId });
    const waited = await cli(home, ['add', `${sim.apiUrl}/models/${ids.sd15Checkpoint.modelId}?modelVersionId=${ids.sd15Checkpoint.versionId}`, '--wait']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe('already have it: checkpoints/mine/my-realistic.safetensors (found on disk, sha256 ' + sha256(sim.fileBytes(ids.sd15Checkpoint.fileId)) + ')\n');
    expect(await jobsOf(ids.sd15Checkpoint.versionId)).toEqual([]);
  });

  it('add of a version whose job failed retries that job instead of adding a second one', async () => {
    sim.addFault({ kind: 'corrupt', offset: 100, fileId: ids.twoVersionLora.newerFileId, times: Infinity });
    const failed = await addAndWait(home, ['--version', String(ids.twoVersionLora.newerVersionId)]);
    expect(failed.code).toBe(1);
    expect(failed.job).toMatchObject({ state: 'failed', errorCode: 'HASH_MISMATCH' });
    sim.clearFaults();
    const again = await add(['--version', String(ids.twoVersionLora.newerVersionId)]);
    expect(again).toMatchObject({ id: failed.job!.id, existing: true, retried: true, repair: false });
    expect(await finished(again.id)).toMatchObject({ state: 'completed', sha256: sha256(sim.fileBytes(ids.twoVersionLora.newerFileId)) });
    expect(await jobsOf(ids.twoVersionLora.newerVersionId)).toHaveLength(1);
  });

  it('a file CivitAI replaced under the version you have: updates --json shows it, updates get fetches it next to the old one', async () => {
    const first = await addAndWait(home, ['--version', String(ids.upscalerPickle.versionId)]);
    expect(first.code, first.stderr).toBe(0);
    const served = sim.world.replaceFile(ids.upscalerPickle.versionId);
    const newSha = sha256(sim.fileBytes(ids.upscalerPickle.fileId));
    const updates = await cliJson<Record<string, unknown>[]>(home, ['updates', '--check']);
    expect(updates.filter((u) => u.kind === 'replaced')).toEqual([expect.objectContaining({
      source: 'civitai', modelId: ids.upscalerPickle.modelId, latestVersionId: ids.upscalerPickle.versionId, installedSha256: first.job!.sha256,
      remoteSha256: served.servedSha256.toLowerCase(), path: first.job!.path,
    })]);
    expect(newSha).toBe(served.servedSha256.toLowerCase());
    const got = await cli(home, ['updates', 'get', String(ids.upscalerPickle.modelId), '--wait', '--json']);
    expect(got.code, got.stderr).toBe(0);
    const job = JSON.parse(got.stdout) as AddJson;
    expect(job).toMatchObject({ state: 'completed', versionId: ids.upscalerPickle.versionId, sha256: newSha, repair: false });
    expect(job.path).not.toBe(first.job!.path);
    expect(sha256(onDisk(first.job!.path!))).toBe(first.job!.sha256);
    expect((await cliJson<Record<string, unknown>[]>(home, ['updates'])).filter((u) => u.kind === 'replaced')).toEqual([]);
  });
});
