import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowModelJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startHubSimulator, type HubSimulator } from '../../src/simulator/huggingface/index.js';
import { cli, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { CANARY_KEY, waitFor } from '../support/downloads.js';
import { pngWithText } from './png-writer.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

type Listed = Pick<WorkflowModelJson, 'name' | 'directory' | 'status' | 'path'> & Partial<WorkflowModelJson>;

const uiNode = (id: number, type: string, widgets: unknown[], models?: object[]) => ({
  id, type, mode: 0, inputs: [], outputs: [], properties: { 'Node name for S&R': type, ...(models ? { models } : {}) }, widgets_values: widgets,
});

describe('comfyui-dl workflow, against a spawned daemon and the CivitAI simulator', () => {
  let sim: Simulator;
  let hub: HubSimulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let bigDrive: string;
  const file = (name: string) => join(home.dir, name);
  const sha256Of = (fileId: number) => sim.world.file(fileId)!.servedSha256.toLowerCase();
  const run = async (args: readonly string[]) => {
    const r = await cli(home, ['workflow', ...args], { timeoutMs: 120_000 });
    return { ...r, models: args.includes('--json') ? (JSON.parse(r.stdout) as WorkflowModelJson[]) : [] };
  };
  const brief = (models: readonly WorkflowModelJson[]): Listed[] => models.map(({ name, directory, status, path }) => ({ name, directory, status, path }));

  beforeAll(async () => {
    sim = await startSimulator();
    hub = await startHubSimulator();
    home = daemonHome({ HF_ENDPOINT: hub.hubUrl });
    // A second drive ComfyUI also searches for checkpoints, and a tree that uses the legacy name for diffusion models.
    bigDrive = join(home.dir, 'big-drive');
    writeFileSync(join(home.dir, 'extra_model_paths.yaml'), `big:\n  base_path: ${bigDrive}\n  checkpoints: ckpt\n`);
    for (const [path, bytes] of [
      [join(home.modelsDir, 'checkpoints', 'sd15', 'realistic.safetensors'), 'a checkpoint'],
      [join(bigDrive, 'ckpt', 'SDXL', 'base.safetensors'), 'an SDXL checkpoint'],
      [join(home.modelsDir, 'unet', 'flux1-dev.safetensors'), 'a Flux UNet'],
      [join(home.modelsDir, 'embeddings', 'easyneg.pt'), 'an embedding'],
    ] as const) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, bytes);
    }
    daemon = await spawnDaemon(home, [], { CIVITAI_BASE_URL: sim.apiUrl });

    // A UI workflow with a file of every kind of standing: present, fetchable by URL, by hash, and neither.
    writeFileSync(file('mixed.json'), JSON.stringify({
      nodes: [
        uiNode(1, 'CheckpointLoaderSimple', ['sd15/realistic.safetensors']),
        uiNode(2, 'LoraLoader', ['flux/detail-tweaker.safetensors', 0.8, 1]),
        uiNode(3, 'VAELoader', ['ae.safetensors'], [{ name: 'ae.safetensors', directory: 'vae', url: 'https://huggingface.co/sim-labs/flux-sim/resolve/main/ae.safetensors' }]),
        uiNode(4, 'UpscaleModelLoader', ['4x-UltraSharp.pth']),
        uiNode(5, 'CLIPTextEncode', ['a fox, embedding:sim-bad-hands.safetensors']),
        uiNode(6, 'LoraLoaderModelOnly', ['mystery.safetensors', 1]),
        uiNode(7, 'PulidFluxModelLoader', ['pulid_flux_v0.9.1.safetensors']),
      ],
      models: [
        // A download URL pasted with its token: fetched, and the token shown nowhere.
        { name: 'flux/detail-tweaker.safetensors', directory: 'loras', url: `${sim.apiUrl}/api/download/models/${DEFAULT_IDS.sdxlLora.versionId}?token=${CANARY_KEY}` },
        { name: 'sim-bad-hands.safetensors', directory: 'embeddings', hash: sha256Of(DEFAULT_IDS.embedding.fileId), hash_type: 'sha256' },
        { name: 'mystery.safetensors', directory: 'loras', hash: '0'.repeat(64), hash_type: 'sha256' },
        { name: 'pulid_flux_v0.9.1.safetensors', directory: 'pulid', url: 'https://example.com/pulid_flux_v0.9.1.safetensors' },
      ],
    }));
    // What "Export (API)" writes: names only, no URLs.
    writeFileSync(file('api.json'), JSON.stringify({
      1: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'SDXL/base.safetensors' } },
      2: { class_type: 'UNETLoader', inputs: { unet_name: 'flux1-dev.safetensors', weight_dtype: 'default' } },
      3: { class_type: 'VAELoader', inputs: { vae_name: 'taesdxl' } },
      4: { class_type: 'LoraLoader', inputs: { lora_name: 'missing-lora.safetensors', strength_model: 1, strength_clip: 1, model: ['1', 0], clip: ['1', 1] } },
      5: { class_type: 'CLIPTextEncode', inputs: { text: '(embedding:easyneg:1.2), blurry', clip: ['4', 1] }, _meta: { title: 'Negative' } },
    }));
    // A PNG ComfyUI saved, every file of it fetchable: one by a model page URL whose header disagrees with the
    // loader's folder, one by a download URL into a subfolder, one by its hash alone.
    const pngModels = [
      { name: 'flux-as-checkpoint.safetensors', directory: 'checkpoints', url: `${sim.apiUrl}/models/${DEFAULT_IDS.fluxUnetAsCheckpoint.modelId}?modelVersionId=${DEFAULT_IDS.fluxUnetAsCheckpoint.versionId}` },
      { name: 'sd15/ft-mse.safetensors', directory: 'vae', url: `${sim.apiUrl}/api/download/models/${DEFAULT_IDS.vae.versionId}` },
      { name: '4x-sharp.pt', directory: 'upscale_models', hash: sha256Of(DEFAULT_IDS.upscalerPickle.fileId).toUpperCase(), hash_type: 'sha256' },
    ];
    const ui = {
      nodes: [
        uiNode(10, 'CheckpointLoaderSimple', ['flux-as-checkpoint.safetensors']),
        uiNode(11, 'VAELoader', ['sd15/ft-mse.safetensors']),
        uiNode(12, 'UpscaleModelLoader', ['4x-sharp.pt']),
      ],
      models: pngModels,
    };
    const prompt = {
      10: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'flux-as-checkpoint.safetensors' } },
      11: { class_type: 'VAELoader', inputs: { vae_name: 'sd15/ft-mse.safetensors' } },
      12: { class_type: 'UpscaleModelLoader', inputs: { model_name: '4x-sharp.pt' } },
    };
    writeFileSync(file('complete-me.png'), pngWithText([
      { kind: 'tEXt', keyword: 'prompt', text: JSON.stringify(prompt) },
      { kind: 'iTXt', keyword: 'workflow', text: JSON.stringify(ui), compressed: true },
    ]));
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    await hub?.close();
    home?.cleanup();
  });

  it('a UI workflow: present, missing by URL and by hash, and unresolved with the node that needs it', async () => {
    const r = await run([file('mixed.json'), '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(brief(r.models)).toEqual([
      { name: 'sd15/realistic.safetensors', directory: 'checkpoints', status: 'present', path: 'checkpoints/sd15/realistic.safetensors' },
      { name: 'flux/detail-tweaker.safetensors', directory: 'loras', status: 'missing', path: 'loras/flux/detail-tweaker.safetensors' },
      { name: 'ae.safetensors', directory: 'vae', status: 'missing', path: 'vae/ae.safetensors' },
      { name: '4x-UltraSharp.pth', directory: 'upscale_models', status: 'unresolved', path: 'upscale_models/4x-UltraSharp.pth' },
      { name: 'sim-bad-hands.safetensors', directory: 'embeddings', status: 'missing', path: 'embeddings/sim-bad-hands.safetensors' },
      { name: 'mystery.safetensors', directory: 'loras', status: 'unresolved', path: 'loras/mystery.safetensors' },
      { name: 'pulid_flux_v0.9.1.safetensors', directory: 'pulid', status: 'unresolved', path: 'pulid/pulid_flux_v0.9.1.safetensors' },
    ]);
    const byName = new Map(r.models.map((m) => [m.name, m]));
    expect(byName.get('ae.safetensors')).toMatchObject({ source: 'huggingface', url: 'https://huggingface.co/sim-labs/flux-sim/resolve/main/ae.safetensors' });
    expect(byName.get('sim-bad-hands.safetensors')).toMatchObject({
      source: 'civitai', url: `${sim.apiUrl}/models/${DEFAULT_IDS.embedding.modelId}?modelVersionId=${DEFAULT_IDS.embedding.versionId}`,
      civitai: { modelId: DEFAULT_IDS.embedding.modelId, versionId: DEFAULT_IDS.embedding.versionId, fileId: DEFAULT_IDS.embedding.fileId },
    });
    expect(byName.get('mystery.safetensors')?.reason).toMatch(/^CivitAI knows no file with the sha256 0{64}/);
    expect(byName.get('4x-UltraSharp.pth')).toMatchObject({ usedBy: [{ nodeId: '4', nodeType: 'UpscaleModelLoader', input: 'model_name', active: true }] });
    expect(byName.get('pulid_flux_v0.9.1.safetensors')?.reason).toContain('download it from https://example.com/pulid_flux_v0.9.1.safetensors');
    // Nothing was queued without --get.
    expect(r.models.every((m) => m.job === null)).toBe(true);

    // The same workflow saved into a PNG (zTXt, as a program that compresses text writes it): the same answer.
    writeFileSync(file('mixed.png'), pngWithText([{ kind: 'zTXt', keyword: 'workflow', text: readFileSync(file('mixed.json'), 'latin1') }]));
    const png = await run([file('mixed.png'), '--json']);
    expect(png.code).toBe(1);
    expect(png.models).toEqual(r.models);

    const text = await run([file('mixed.json')]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^present +checkpoints +sd15\/realistic\.safetensors +checkpoints\/sd15\/realistic\.safetensors$/m);
    expect(text.stdout).toContain('1 present, 3 missing, 3 unresolved');
    expect(text.stdout).toContain('run it again with --get');
    expect(text.stderr).toContain('4x-UltraSharp.pth is needed by UpscaleModelLoader (node 4, model_name)');
  });

  // An API prompt carries names only (no URL, no hash): each file is present or unresolved.
  it('an API prompt: found in every folder ComfyUI searches, legacy names, extra_model_paths.yaml and embedding extensions', async () => {
    const r = await run([file('api.json'), '--json']);
    expect(r.code).toBe(1);
    expect(brief(r.models)).toEqual([
      { name: 'SDXL/base.safetensors', directory: 'checkpoints', status: 'present', path: join(bigDrive, 'ckpt', 'SDXL', 'base.safetensors') },
      { name: 'flux1-dev.safetensors', directory: 'diffusion_models', status: 'present', path: 'unet/flux1-dev.safetensors' },
      { name: 'missing-lora.safetensors', directory: 'loras', status: 'unresolved', path: 'loras/missing-lora.safetensors' },
      { name: 'easyneg', directory: 'embeddings', status: 'present', path: 'embeddings/easyneg.pt' },
    ]);
  });

  it('--get --wait on a PNG places every file under the workflow\'s exact names, then nothing is missing', async () => {
    const before = await run([file('complete-me.png'), '--json']);
    expect(before.models.map((m) => m.status)).toEqual(['missing', 'missing', 'missing']);

    const r = await run([file('complete-me.png'), '--get', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(brief(r.models)).toEqual([
      { name: 'flux-as-checkpoint.safetensors', directory: 'checkpoints', status: 'present', path: 'checkpoints/flux-as-checkpoint.safetensors' },
      { name: 'sd15/ft-mse.safetensors', directory: 'vae', status: 'present', path: 'vae/sd15/ft-mse.safetensors' },
      { name: '4x-sharp.pt', directory: 'upscale_models', status: 'present', path: 'upscale_models/4x-sharp.pt' },
    ]);
    expect(r.models.map((m) => m.job?.state)).toEqual(['completed', 'completed', 'completed']);
    for (const [path, fileId] of [
      ['checkpoints/flux-as-checkpoint.safetensors', DEFAULT_IDS.fluxUnetAsCheckpoint.fileId],
      ['vae/sd15/ft-mse.safetensors', DEFAULT_IDS.vae.fileId],
      ['upscale_models/4x-sharp.pt', DEFAULT_IDS.upscalerPickle.fileId],
    ] as const) {
      expect(sha256(readFileSync(join(home.modelsDir, path)))).toBe(sha256Of(fileId));
    }
    // The header knows a Flux transformer; the loader looks in checkpoints/, so that is where it went, with a warning.
    expect(r.models[0]!.warnings).toEqual([expect.stringMatching(/^its header says it belongs in diffusion_models \(.+\); it is in checkpoints\/ because the workflow loads it from there$/)]);

    const after = await run([file('complete-me.png')]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('3 present, 0 missing, 0 unresolved');
    expect(after.stderr).toContain('flux-as-checkpoint.safetensors: its header says it belongs in diffusion_models');
  });

  it('--get --wait on the UI workflow fetches what it can, and shows the daemon\'s answer for what it cannot', async () => {
    const r = await run([file('mixed.json'), '--get', '--wait', '--json']);
    expect(r.code).toBe(1);
    const byName = new Map(r.models.map((m) => [m.name, m]));
    expect(byName.get('flux/detail-tweaker.safetensors')).toMatchObject({ status: 'present', path: 'loras/flux/detail-tweaker.safetensors', job: { state: 'completed' } });
    expect(byName.get('flux/detail-tweaker.safetensors')?.url).toMatch(/\?token=\*\*\*$/);
    expect(`${r.stdout}${r.stderr}${(await cli(home, ['history', '--json'])).stdout}`).not.toContain(CANARY_KEY);
    expect(byName.get('sim-bad-hands.safetensors')).toMatchObject({ status: 'present', path: 'embeddings/sim-bad-hands.safetensors', job: { state: 'completed' } });
    expect(sha256(readFileSync(join(home.modelsDir, 'embeddings', 'sim-bad-hands.safetensors')))).toBe(sha256Of(DEFAULT_IDS.embedding.fileId));
    // A huggingface.co URL is asked of HF_ENDPOINT (the hub simulator here) and lands under the workflow's name.
    expect(byName.get('ae.safetensors')).toMatchObject({ status: 'present', path: 'vae/ae.safetensors', job: { state: 'completed', source: 'huggingface' } });
    expect(r.models.filter((m) => m.status === 'unresolved').map((m) => m.name)).toEqual(['4x-UltraSharp.pth', 'mystery.safetensors', 'pulid_flux_v0.9.1.safetensors']);
  });

  it('shows a download on its way, queues it once, and --wait alone waits for it to end', async () => {
    // Storage answers 503 until cleared: the job cannot finish whatever the machine's speed.
    sim.addFault({ kind: 'status', status: 503, target: 'storage', versionId: DEFAULT_IDS.controlnet.versionId, times: Infinity });
    writeFileSync(file('controlnet.json'), JSON.stringify({
      nodes: [uiNode(1, 'ControlNetLoader', ['canny.safetensors'], [{ name: 'canny.safetensors', directory: 'controlnet', url: `${sim.apiUrl}/api/download/models/${DEFAULT_IDS.controlnet.versionId}` }])],
    }));
    const queued = await run([file('controlnet.json'), '--get', '--json']);
    expect(queued.code).toBe(1);
    const job = queued.models[0]!.job!;
    const again = await run([file('controlnet.json'), '--get', '--json']);
    expect(again.models[0]).toMatchObject({ status: 'missing', job: { id: job.id }, error: null });
    const jobs = JSON.parse((await cli(home, ['queue', '--all', '--json'])).stdout) as { id: string; versionId: number }[];
    expect(jobs.filter((j) => j.versionId === DEFAULT_IDS.controlnet.versionId).map((j) => j.id)).toEqual([job.id]);

    // --wait follows the job whether it is paused before or after the check: either way it ends paused, still missing.
    const waiting = run([file('controlnet.json'), '--wait', '--json']);
    expect((await cli(home, ['pause', job.id])).code).toBe(0);
    const waited = await waiting;
    expect(waited.code).toBe(1);
    expect(waited.models[0]).toMatchObject({ status: 'missing', job: { id: job.id, state: 'paused' } });

    sim.clearFaults();
    expect((await cli(home, ['resume', job.id])).code).toBe(0);
    const placed = await waitFor(async () => {
      const r = await run([file('controlnet.json'), '--json']);
      return r.code === 0 ? r : undefined;
    }, 30_000, 250);
    expect(placed.models[0]).toMatchObject({ status: 'present', path: 'controlnet/canny.safetensors' });
  });

  it('says what is wrong with a file that is no workflow', async () => {
    writeFileSync(file('notes.txt'), 'not a workflow');
    const text = await run([file('notes.txt')]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('neither a PNG nor valid JSON');
    const missing = await run([file('nope.json'), '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { exitCode: 2, message: expect.stringContaining('no such file') } });
    writeFileSync(file('bare.png'), pngWithText([{ kind: 'tEXt', keyword: 'Software', text: 'GIMP' }]));
    expect((await run([file('bare.png')])).stderr).toContain('carries no ComfyUI workflow');
  });
});
