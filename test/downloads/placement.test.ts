import { appendFileSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntryJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait } from '../support/downloads.js';

type Verified = { path: string; status: string; expected: string | null; actual: string | null };

describe('where files go, and checking them later', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let bigDrive: string;
  beforeAll(async () => {
    sim = await startSimulator();
    home = daemonHome();
    // ComfyUI's extra_model_paths.yaml beside the models folder: LoRAs also live on a second drive, the default.
    bigDrive = join(home.dir, 'big-drive');
    writeFileSync(join(home.dir, 'extra_model_paths.yaml'), [
      'big:',
      `  base_path: ${bigDrive}`,
      '  is_default: true',
      '  loras: |',
      '    lora-collection',
      '',
    ].join('\n'));
    // The user's tree already uses the legacy name for diffusion models.
    mkdirSync(join(home.modelsDir, 'unet'), { recursive: true });
    daemon = await spawnDaemon(home, [], { CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_PATH_TEMPLATE: '{folder}/{fileName}' });
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('follows extra_model_paths.yaml, legacy folder names and the path template', async () => {
    const lora = await addAndWait(home, ['--version', String(DEFAULT_IDS.sdxlLora.versionId)]);
    expect(lora.code, lora.stderr).toBe(0);
    expect(lora.job!.path).toBe(join(bigDrive, 'lora-collection', 'sim-ink-style-xl.safetensors'));
    expect(existsSync(lora.job!.path!)).toBe(true);
    const flux = await addAndWait(home, ['--version', String(DEFAULT_IDS.fluxUnetAsCheckpoint.versionId)]);
    expect(flux.job!.path).toBe('unet/simFluxDevUnet_fp16.safetensors');
    const vae = await addAndWait(home, ['--version', String(DEFAULT_IDS.vae.versionId)]);
    expect(vae.job!.path).toBe('vae/sim-vae-ft-mse.safetensors');
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list.find((e) => e.folder === 'diffusion_models')).toMatchObject({ type: 'Checkpoint', baseModel: 'Flux.1 D', origin: 'download' });
    expect(list.find((e) => e.folder === 'diffusion_models')!.routingReason).toMatch(/diffusion model.*Checkpoint/);
  });

  it('verify reports ok, changed and missing, and records each', async () => {
    const ok = await cliJson<Verified[]>(home, ['verify']);
    expect(ok.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    appendFileSync(join(home.modelsDir, 'vae', 'sim-vae-ft-mse.safetensors'), 'tampered');
    rmSync(join(home.modelsDir, 'unet', 'simFluxDevUnet_fp16.safetensors'));
    const r = await cli(home, ['verify', 'vae/sim-vae-ft-mse.safetensors', join(home.modelsDir, 'unet', 'simFluxDevUnet_fp16.safetensors'), 'no/such.safetensors', '--json']);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout) as Verified[];
    expect(results.map((x) => [x.path, x.status])).toEqual([
      ['vae/sim-vae-ft-mse.safetensors', 'changed'],
      ['unet/simFluxDevUnet_fp16.safetensors', 'missing'],
      ['no/such.safetensors', 'unknown'],
    ]);
    const events = await cliJson<{ data: { status: string } }[]>(home, ['history', '--type', 'file.verified']);
    expect(events.map((e) => e.data.status)).toEqual(['ok', 'ok', 'ok', 'changed', 'missing']);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list.find((e) => e.path.startsWith('unet/'))!.missing).toBe(true);
  });
});
