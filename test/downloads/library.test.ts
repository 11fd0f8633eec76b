import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvailableUpdateJson, CatalogEntryJson } from '../../src/ipc/protocol.js';
import { buildSafetensorsHeader } from '../../src/safetensors/build.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startNotificationServer, startPrivateBus, type NotificationServer, type PrivateBus } from '../notify/notification-server.js';
import { cli, cliJson, daemonHome, loggedRows, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';

type Summary = { files: number; hashed: number; cached: number; discovered: number; moved: number; missing: number; identified: number; unknown: number };

/** The files a user had before comfyui-dl: renamed, in the wrong folders, one unknown, one known only by a sidecar. */
function seedModelsFolder(sim: Simulator, models: string): void {
  mkdirSync(join(models, 'loras'), { recursive: true });
  mkdirSync(join(models, 'checkpoints', 'old'), { recursive: true });
  // A checkpoint someone put in loras/ under another name.
  writeFileSync(join(models, 'loras', 'my-favourite.safetensors'), sim.fileBytes(DEFAULT_IDS.sd15Checkpoint.fileId));
  // A LoRA in checkpoints/.
  writeFileSync(join(models, 'checkpoints', 'old', 'ink.safetensors'), sim.fileBytes(DEFAULT_IDS.sdxlLora.fileId));
  // Something CivitAI never saw.
  const { prefix, fileLength } = buildSafetensorsHeader({ 'lora_unet_x.lora_down.weight': { dtype: 'F16', shape: [4, 8] } });
  writeFileSync(join(models, 'loras', 'homemade.safetensors'), Buffer.concat([prefix, Buffer.alloc(fileLength - prefix.length, 7)]));
  // A VAE with a Civitai Helper sidecar naming its version.
  writeFileSync(join(models, 'loras', 'vae-copy.safetensors'), sim.fileBytes(DEFAULT_IDS.vae.fileId));
  writeFileSync(join(models, 'loras', 'vae-copy.civitai.info'), JSON.stringify({ id: DEFAULT_IDS.vae.versionId, modelId: DEFAULT_IDS.vae.modelId }));
  // Files a user has had for a while: a hash taken seconds after a write is not trusted by the cache (a write in the
  // same timestamp tick would be invisible), so fresh files would rightly be hashed again.
  const lastWeek = new Date(Date.now() - 7 * 86_400_000);
  for (const f of ['loras/my-favourite.safetensors', 'checkpoints/old/ink.safetensors', 'loras/homemade.safetensors', 'loras/vae-copy.safetensors']) {
    utimesSync(join(models, f), lastWeek, lastWeek);
  }
}

describe('the models already on disk, and what comes out later', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let bus: PrivateBus;
  let notifications: NotificationServer;
  const start = () => spawnDaemon(home, [], { DBUS_SESSION_BUS_ADDRESS: bus.address });
  const readHistory = async (): Promise<{ type: string; data: Record<string, unknown> }[]> =>
    (await loggedRows(home)).map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));

  beforeAll(async () => {
    sim = await startSimulator();
    bus = await startPrivateBus();
    notifications = await startNotificationServer(bus.address);
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    seedModelsFolder(sim, home.modelsDir);
    daemon = await start();
  });
  afterAll(async () => {
    await daemon?.stop();
    notifications?.stop();
    await bus?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('identifies files found at start by their hash, writes their sidecars, and lists the unknown one', async () => {
    const { summary } = await cliJson<{ summary: Summary }>(home, ['scan', '--wait']);
    expect(summary.files).toBe(4);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    const at = (path: string) => list.find((e) => e.path === path);
    expect(at('loras/my-favourite.safetensors')).toMatchObject({ origin: 'scan', modelId: DEFAULT_IDS.sd15Checkpoint.modelId, versionId: DEFAULT_IDS.sd15Checkpoint.versionId });
    expect(at('checkpoints/old/ink.safetensors')).toMatchObject({ modelId: DEFAULT_IDS.sdxlLora.modelId });
    expect(at('loras/vae-copy.safetensors')).toMatchObject({ versionId: DEFAULT_IDS.vae.versionId });
    expect(at('loras/homemade.safetensors')).toMatchObject({ origin: 'scan', modelId: null, versionId: null });
    const sidecar = JSON.parse(readFileSync(join(home.modelsDir, 'loras', 'my-favourite.metadata.json'), 'utf8')) as { sha256: string; civitai: { id: number } };
    expect(sidecar.civitai.id).toBe(DEFAULT_IDS.sd15Checkpoint.versionId);
    expect(existsSync(join(home.modelsDir, 'loras', 'homemade.metadata.json'))).toBe(false);
  });

  it('rehashes nothing after a restart, and sees a file moved while it was down', async () => {
    await daemon.stop();
    renameSync(join(home.modelsDir, 'checkpoints', 'old', 'ink.safetensors'), join(home.modelsDir, 'loras', 'ink.safetensors'));
    const { length: seen } = await readHistory();
    daemon = await start();
    await cliJson(home, ['scan', '--wait']);
    const since = (await readHistory()).slice(seen);
    // A rename keeps device, inode, size and mtime: the hash cache answers for the moved file too.
    expect(since.filter((e) => e.type === 'file.hashed')).toEqual([]);
    expect(since.filter((e) => e.type === 'file.moved').map((e) => e.data)).toEqual([
      expect.objectContaining({ from: 'checkpoints/old/ink.safetensors', to: 'loras/ink.safetensors' }),
    ]);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list.find((e) => e.path === 'loras/ink.safetensors')).toMatchObject({ modelId: DEFAULT_IDS.sdxlLora.modelId, missing: false });
    expect(list.find((e) => e.path === 'checkpoints/old/ink.safetensors')).toBeUndefined();
  });

  it('reports a newer version once, skips early access and ignored ones, and notifies once across a restart', async () => {
    const modelId = DEFAULT_IDS.sd15Checkpoint.modelId;
    sim.world.publishVersion(modelId, {
      id: 2901, name: 'v2.0', baseModel: 'SD 1.5',
      files: [{ id: 3901, name: 'simRealistic_v20.safetensors', content: { format: 'safetensors', fixture: 'sd15-checkpoint' } }],
    });
    sim.world.publishVersion(DEFAULT_IDS.sdxlLora.modelId, {
      id: 2902, name: 'v2 (early access)', baseModel: 'SDXL 1.0', earlyAccessEndsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      files: [{ id: 3902, name: 'ink-v2.safetensors', content: { format: 'safetensors', fixture: 'sdxl-lora' } }],
    });
    const updates = await cliJson<AvailableUpdateJson[]>(home, ['updates', '--check']);
    expect(updates).toEqual([expect.objectContaining({ modelId, latestVersionId: 2901, latestVersionName: 'v2.0', installedVersionId: DEFAULT_IDS.sd15Checkpoint.versionId, path: 'loras/my-favourite.safetensors' })]);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list.find((e) => e.path === 'loras/my-favourite.safetensors')!.update).toMatchObject({ versionId: 2901, versionName: 'v2.0' });
    expect(await cliJson<AvailableUpdateJson[]>(home, ['updates', '--check'])).toHaveLength(1);
    const received = await notifications.waitForCount(1, 10_000);
    expect(received[0]!.summary).toMatch(/Sim Realistic/);

    await daemon.stop();
    daemon = await start();
    await cliJson(home, ['updates', '--check']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(notifications.received.filter((n) => /v2\.0/.test(`${n.summary} ${n.body}`))).toHaveLength(1);

    expect((await cli(home, ['updates', 'ignore', '--version', '2901'])).code).toBe(0);
    expect(await cliJson<AvailableUpdateJson[]>(home, ['updates'])).toEqual([]);
  });
});
