import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectIpc, type IpcClient } from '../../src/ipc/client.js';
import type { JobJson, ParamsOf } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { filesUnder, waitFor } from '../support/downloads.js';

type EventRow = { streamId: string; version: number; data: Record<string, unknown> };

describe('add with a pinned target: the file lands at <directory>/<name> exactly', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let client: IpcClient;

  const add = async (params: ParamsOf<'add'>) => client.request('add', params);
  const ended = (id: string): Promise<JobJson> =>
    waitFor(async () => {
      const r = await client.request('job', { job: id });
      const job = r._unsafeUnwrap().job;
      return ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
    });

  beforeAll(async () => {
    sim = await startSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    daemon = await spawnDaemon(home);
    client = (await connectIpc(home.socket))._unsafeUnwrap();
  });
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('keeps the workflow\'s name and subfolder, not the template\'s or CivitAI\'s, and records the target', async () => {
    const added = (await add({ version: DEFAULT_IDS.sdxlLora.versionId, target: { directory: 'loras', name: 'flux/detail-tweaker.safetensors' } }))._unsafeUnwrap();
    const job = await ended(added.job!.id);
    expect(job).toMatchObject({ state: 'completed', path: 'loras/flux/detail-tweaker.safetensors', folder: 'loras' });
    expect(readFileSync(join(home.modelsDir, job.path!)).equals(sim.fileBytes(DEFAULT_IDS.sdxlLora.fileId))).toBe(true);
    expect(existsSync(join(home.modelsDir, 'loras/flux/detail-tweaker.metadata.json'))).toBe(true);
    const requested = await cliJson<EventRow[]>(home, ['history', '--stream', `download-${job.id}`, '--type', 'download.requested']);
    expect(requested[0]).toMatchObject({ version: 3, data: { target: { directory: 'loras', name: 'flux/detail-tweaker.safetensors' } } });
  });

  it('wins over the header: a Flux UNet pinned to checkpoints/ lands there, and the log says the header disagreed', async () => {
    const added = (await add({ version: DEFAULT_IDS.fluxUnetAsCheckpoint.versionId, target: { directory: 'checkpoints', name: 'flux-dev.safetensors' } }))._unsafeUnwrap();
    const job = await ended(added.job!.id);
    expect(job).toMatchObject({ state: 'completed', path: 'checkpoints/flux-dev.safetensors', folder: 'checkpoints' });
    const routed = await cliJson<EventRow[]>(home, ['history', '--stream', `download-${job.id}`, '--type', 'routing.decided']);
    expect(routed[0]!.data.folder).toBe('diffusion_models');
    expect(daemon.stderr()).toContain(`job ${job.id}: the header says diffusion_models`);
    const list = await cliJson<{ path: string; folder: string }[]>(home, ['list']);
    expect(list.find((e) => e.path === 'checkpoints/flux-dev.safetensors')?.folder).toBe('checkpoints');
  });

  it('places a custom node\'s folder under the models folder, and maps legacy keys', async () => {
    const pulid = await ended((await add({ version: DEFAULT_IDS.vae.versionId, target: { directory: 'pulid', name: 'pulid_flux_v0.9.1.safetensors' } }))._unsafeUnwrap().job!.id);
    expect(pulid.path).toBe('pulid/pulid_flux_v0.9.1.safetensors');
    const clip = await ended((await add({ version: DEFAULT_IDS.embedding.versionId, target: { directory: 'clip', name: 'te.safetensors' } }))._unsafeUnwrap().job!.id);
    expect(clip).toMatchObject({ path: 'text_encoders/te.safetensors', folder: 'text_encoders' });
  });

  it('never overwrites a different file, and never moves the download aside to another name', async () => {
    mkdirSync(join(home.modelsDir, 'vae'), { recursive: true });
    writeFileSync(join(home.modelsDir, 'vae', 'taken.safetensors'), 'the user\'s own file');
    const job = await ended((await add({ version: DEFAULT_IDS.controlnet.versionId, target: { directory: 'vae', name: 'taken.safetensors' } }))._unsafeUnwrap().job!.id);
    expect(job).toMatchObject({ state: 'failed', errorCode: 'PLACE_FAILED' });
    expect(job.error).toContain('the workflow loads this name only');
    expect(readFileSync(join(home.modelsDir, 'vae', 'taken.safetensors'), 'utf8')).toBe('the user\'s own file');
    expect(filesUnder(join(home.modelsDir, 'vae'))).toEqual(['taken.safetensors']);
  });

  it('gives the job on its way to the same place, and a new one for another place of the same version', async () => {
    // Storage answers 503 until cleared: the job cannot finish, whatever the machine's speed.
    sim.addFault({ kind: 'status', status: 503, target: 'storage', versionId: DEFAULT_IDS.upscalerPickle.versionId, times: Infinity });
    const target = { directory: 'upscale_models', name: '4x-Sharp.pt' };
    const first = (await add({ version: DEFAULT_IDS.upscalerPickle.versionId, target }))._unsafeUnwrap();
    const again = (await add({ version: DEFAULT_IDS.upscalerPickle.versionId, target: { directory: 'upscale_models', name: './4x-Sharp.pt' } }))._unsafeUnwrap();
    expect(again).toMatchObject({ existing: true, job: { id: first.job!.id } });
    const elsewhere = (await add({ version: DEFAULT_IDS.upscalerPickle.versionId, target: { directory: 'upscale_models', name: 'other.pt' } }))._unsafeUnwrap();
    expect(elsewhere.existing).toBe(false);
    sim.clearFaults();
    for (const id of [first.job!.id, elsewhere.job!.id]) (await client.request('resume', { job: id }))._unsafeUnwrap();
    expect((await ended(first.job!.id)).path).toBe('upscale_models/4x-Sharp.pt');
    expect((await ended(elsewhere.job!.id)).path).toBe('upscale_models/other.pt');
  });

  it('refuses a target that is no model folder, or names no file', async () => {
    for (const target of [{ directory: '../..', name: 'x.safetensors' }, { directory: 'custom_nodes', name: 'x.py' }, { directory: 'loras', name: '/..' }]) {
      const r = await add({ version: DEFAULT_IDS.vae.versionId, target });
      expect(r._unsafeUnwrapErr().code).toBe('BAD_PARAMS');
    }
  });
});
