import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntryJson, JobJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, loggedRows, spawnDaemon, testBackend, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait, CANARY_KEY, filesUnder } from '../support/downloads.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('downloads through the daemon, against the simulator', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  const historyOutputs: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ apiKey: CANARY_KEY });
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, CIVITAI_API_KEY: CANARY_KEY });
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('places one model of each kind in its ComfyUI folder, with sidecar and preview', async () => {
    const cases: [versionId: number, folder: string, dir: string][] = [
      [DEFAULT_IDS.sd15Checkpoint.versionId, 'checkpoints', 'checkpoints'],
      [DEFAULT_IDS.sdxlLora.versionId, 'loras', 'loras'],
      // CivitAI calls it a Checkpoint; its header holds only a Flux transformer. ComfyUI searches `unet` first.
      [DEFAULT_IDS.fluxUnetAsCheckpoint.versionId, 'diffusion_models', 'unet'],
      [DEFAULT_IDS.vae.versionId, 'vae', 'vae'],
      [DEFAULT_IDS.embedding.versionId, 'embeddings', 'embeddings'],
      [DEFAULT_IDS.controlnet.versionId, 'controlnet', 'controlnet'],
      [DEFAULT_IDS.upscalerPickle.versionId, 'upscale_models', 'upscale_models'],
    ];
    for (const [versionId, folder, dir] of cases) {
      const { code, job, stderr } = await addAndWait(home, ['--version', String(versionId)]);
      expect(code, stderr).toBe(0);
      expect(job).toMatchObject({ state: 'completed', folder });
      expect(job!.path!.startsWith(`${dir}/`)).toBe(true);
      const placed = readFileSync(join(home.modelsDir, job!.path!));
      expect(sha256(placed)).toBe(job!.sha256);
      expect(sha256(placed)).toBe(sha256(sim.fileBytes(job!.fileId!)));
      const stem = job!.path!.replace(/\.[^.]+$/, '');
      const sidecar = JSON.parse(readFileSync(join(home.modelsDir, `${stem}.metadata.json`), 'utf8')) as Record<string, unknown>;
      expect(sidecar).toMatchObject({ sha256: job!.sha256, file_name: stem.split('/').at(-1), from_civitai: true });
      expect((sidecar.civitai as { id: number }).id).toBe(versionId);
      // The model-level data Lora-Manager shows and computes license flags from.
      const model = sim.world.models.find((m) => m.id === job!.modelId)!;
      expect(sidecar).toMatchObject({ tags: model.tags, modelDescription: model.description });
      expect(sidecar.civitai).toMatchObject({
        creator: { username: model.creator },
        model: { name: model.name, type: model.type, description: model.description, tags: model.tags, allowNoCredit: true, allowDerivatives: true, allowDifferentLicense: true },
        trainedWords: expect.any(Array),
      });
      expect(readdirSync(join(home.modelsDir, dir), { recursive: true }).some((f) => String(f).includes('.preview.'))).toBe(true);
    }
    const catalog = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(catalog.map((c) => c.folder).sort()).toEqual(cases.map(([, f]) => f).sort());
    const pickle = catalog.find((c) => c.folder === 'upscale_models');
    expect(pickle).toMatchObject({ flagged: 'pickle', origin: 'download' });
  });

  it('returns the existing job when the same version is added again', async () => {
    const r = await cli(home, ['add', `${sim.apiUrl}/models/${DEFAULT_IDS.sd15Checkpoint.modelId}?modelVersionId=${DEFAULT_IDS.sd15Checkpoint.versionId}`, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/already have it/);
    expect((JSON.parse(r.stdout) as JobJson).state).toBe('completed');
  });

  it('fails a corrupt transfer with "hash mismatch", quarantines it and places nothing', async () => {
    sim.addFault({ kind: 'corrupt', offset: 1000, fileId: DEFAULT_IDS.twoVersionLora.olderFileId, times: Infinity });
    try {
      const before = filesUnder(home.modelsDir);
      const { code, job } = await addAndWait(home, ['--version', String(DEFAULT_IDS.twoVersionLora.olderVersionId)]);
      expect(code).toBe(1);
      expect(job).toMatchObject({ state: 'failed', errorCode: 'HASH_MISMATCH' });
      expect(job!.error).toMatch(/hash mismatch/);
      expect(filesUnder(home.modelsDir).filter((f) => !f.startsWith('.comfyui-dl/'))).toEqual(before.filter((f) => !f.startsWith('.comfyui-dl/')));
      expect(readdirSync(join(home.dataDir, 'quarantine')).some((f) => f.startsWith(job!.id))).toBe(true);
    } finally {
      sim.clearFaults();
    }
    // The fault is gone: a retry downloads it again and places it.
    const retried = await cli(home, ['retry', (await cliJson<JobJson[]>(home, ['queue'])).find((j) => j.state === 'failed')!.id]);
    expect(retried.code).toBe(0);
  });

  it('never saves a login page as a model', async () => {
    sim.addFault({ kind: 'html-login', versionId: DEFAULT_IDS.twoVersionLora.newerVersionId, times: Infinity });
    try {
      const { code, job } = await addAndWait(home, ['--version', String(DEFAULT_IDS.twoVersionLora.newerVersionId)]);
      expect(code).toBe(1);
      expect(job?.state).toBe('failed');
      expect(job?.error).toMatch(/web page|HTML|log in|login/i);
    } finally {
      sim.clearFaults();
    }
  });

  it('survives a dropped connection, an ignored Range, an expired URL and a 429 on the way', async () => {
    const fileId = DEFAULT_IDS.twoVersionLora.newerFileId;
    sim.addFault({ kind: 'status', status: 429, retryAfter: 1, target: 'download', versionId: DEFAULT_IDS.twoVersionLora.newerVersionId });
    sim.addFault({ kind: 'drop', afterBytes: 100_000, fileId });
    sim.addFault({ kind: 'expire-url', fileId });
    const jobs = await cliJson<JobJson[]>(home, ['queue', '--all']);
    const failed = jobs.find((j) => j.versionId === DEFAULT_IDS.twoVersionLora.newerVersionId)!;
    const r = await cli(home, ['retry', failed.id]);
    expect(r.code).toBe(0);
    for (let i = 0; i < 200; i++) {
      const job = (await cliJson<{ state: string }>(home, ['queue', '--all'])) as unknown as JobJson[];
      const j = job.find((x) => x.id === failed.id)!;
      if (j.state === 'completed' || j.state === 'failed') {
        expect(j.state, j.error ?? '').toBe('completed');
        expect(j.sha256).toBe(sha256(sim.fileBytes(fileId)));
        return;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('the job did not finish');
  });

  it('explains unknown models and early access, with exit code 2 and 1', async () => {
    const unknown = await cli(home, ['add', '--model', '999999']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/999999|not found|No model/i);
    const early = await cli(home, ['add', '--version', String(DEFAULT_IDS.earlyAccess.versionId), '--wait']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/early access/i);
    const bad = await cli(home, ['add', 'https://huggingface.co/x/y']);
    expect(bad.code).toBe(2);
  });

  it('pauses with a clear message when the disk cannot hold the file, and places a hostile name safely', async () => {
    sim.world.addModel({
      id: 7001, name: 'Huge', type: 'Checkpoint',
      versions: [{
        id: 7002, name: 'v1', baseModel: 'SDXL 1.0',
        // 64 TiB: no test machine has that free. The advertised hash is given so the simulator never computes it.
        files: [{ id: 7003, name: 'huge.safetensors', content: { format: 'bytes', size: 64 * 1024 ** 4 }, hashes: { SHA256: 'AB'.repeat(32) } }],
      }],
    });
    const huge = await cliJson<JobJson>(home, ['add', '--version', '7002']);
    let job = huge;
    for (let i = 0; i < 100 && job.state !== 'paused' && job.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await cliJson<JobJson[]>(home, ['queue'])).find((j) => j.id === huge.id)!;
    }
    expect(job).toMatchObject({ state: 'paused', errorCode: 'DISK_FULL' });
    expect(job.error).toMatch(/disk space.*need 64\.0 TiB/i);
    expect((await cli(home, ['cancel', job.id])).code).toBe(0);

    sim.world.addModel({
      id: 7101, name: 'Hostile', type: 'LORA',
      versions: [{ id: 7102, name: 'v1', baseModel: 'SD 1.5', files: [{ id: 7103, name: '../../../etc/evil name.safetensors', content: { format: 'safetensors', fixture: 'sd15-lora-kohya' } }] }],
    });
    sim.addFault({ kind: 'hostile-name', name: '../../../../root/.bashrc', versionId: 7102 });
    const { code, job: placed } = await addAndWait(home, ['--version', '7102']);
    expect(code).toBe(0);
    expect(placed!.path).toMatch(/^loras\/SD 1\.5\/[^/]*evil[^/]*name\.safetensors$/);
    expect(placed!.path).not.toMatch(/\.\./);
  });

  it('keeps the notes of a sidecar that was already there when the model is downloaded again', async () => {
    sim.world.addModel({
      id: 7201, name: 'Noted', type: 'LORA',
      versions: [{ id: 7202, name: 'v1', baseModel: 'SD 1.5', images: [{ id: 7203, width: 64, height: 64, nsfwLevel: 1 }], files: [{ id: 7204, name: 'noted.safetensors', content: { format: 'safetensors', fixture: 'sd15-lora-kohya' } }] }],
    });
    const dir = join(home.modelsDir, 'loras', 'SD 1.5');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'noted.metadata.json'), JSON.stringify({ notes: 'use at 0.7 with the ink style', usage_tips: '{"strength": 0.7}', favorite: true, my_own_key: [1, 2] }));
    const { code, job } = await addAndWait(home, ['--version', '7202']);
    expect(code).toBe(0);
    expect(job!.path).toBe('loras/SD 1.5/noted.safetensors');
    const sidecar = JSON.parse(readFileSync(join(dir, 'noted.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ notes: 'use at 0.7 with the ink style', usage_tips: '{"strength": 0.7}', favorite: true, my_own_key: [1, 2], sha256: job!.sha256 });
    expect((sidecar.civitai as { id: number }).id).toBe(7202);
  });

  it('keeps the API key out of the log, its WAL, the daemon output, sidecars, history and the storage host', async () => {
    const history = await cli(home, ['history', '--limit', '10000', '--json']);
    historyOutputs.push(history.stdout);
    const places: [string, string][] = [['history', history.stdout], ['daemon stderr', daemon.stderr()]];
    for (const f of filesUnder(home.dataDir)) places.push([f, readFileSync(join(home.dataDir, f)).toString('latin1')]);
    // On PostgreSQL the log is not in the data folder: its rows are searched where they are.
    const logged = JSON.stringify(await loggedRows(home));
    places.push(['the events table', logged]);
    for (const f of filesUnder(home.modelsDir)) if (f.endsWith('.json')) places.push([f, readFileSync(join(home.modelsDir, f), 'utf8')]);
    for (const req of sim.requests.filter((q) => q.host === 'storage')) places.push([`storage ${req.method}`, JSON.stringify(req)]);
    expect(places.filter(([, text]) => text.includes(CANARY_KEY)).map(([where]) => where)).toEqual([]);
    expect(places.some(([w]) => w.startsWith('storage'))).toBe(true);
    // The key did reach the API host, as a header.
    expect(sim.requests.some((q) => q.host === 'api' && String(q.headers.authorization).includes(CANARY_KEY))).toBe(true);
    expect(logged).toContain('download.requested');
    // And the log is where this run says: on PostgreSQL no SQLite file was made beside it.
    expect(existsSync(join(home.dataDir, 'events.db'))).toBe(testBackend === 'sqlite');
  });
});
