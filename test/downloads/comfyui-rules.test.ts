// ComfyUI's own rules, through a spawned daemon and the CLI against the simulator: the folders of
// extra_model_paths.yaml (scanned, and written to only where ComfyUI searches first), picking a file by its
// metadata, files that go missing, and what the CLI prints where.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvailableUpdateJson, CatalogEntryJson, ConfigReport, JobJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait } from '../support/downloads.js';

const ids = DEFAULT_IDS;

describe("ComfyUI's folders, file choice, missing files and the CLI's output", () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let central: string;
  let webui: string;
  const env = () => ({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_PATH_TEMPLATE: '{folder}/{fileName}', CENTRAL_MODELS: central });

  beforeAll(async () => {
    sim = await startSimulator();
    home = daemonHome();
    central = join(home.dir, 'central');
    webui = join(home.dir, 'sd-webui');
    // ComfyUI's file beside its models folder: an A1111 install shared read-only, and a central default folder whose
    // base path uses a variable (expanded) while its values use `$HOME` and `~` (taken literally, as ComfyUI does).
    writeFileSync(join(home.dir, 'extra_model_paths.yaml'), [
      'a111:',
      '    base_path: sd-webui/',
      '    loras: |',
      '         models/Lora',
      '         models/LyCORIS',
      '    embeddings: embeddings',
      'central:',
      '    base_path: $CENTRAL_MODELS',
      '    is_default: yes',
      '    vae: $HOME/vae',
      '    controlnet: ~/controlnet',
      '',
    ].join('\n'));
    // A LoRA the A1111 install already has, which ComfyUI lists.
    mkdirSync(join(webui, 'models', 'Lora'), { recursive: true });
    writeFileSync(join(webui, 'models', 'Lora', 'shared-ink.safetensors'), sim.fileBytes(ids.sdxlLora.fileId));
    daemon = await spawnDaemon(home, [], env());
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('scans the folders of extra_model_paths.yaml and identifies what it finds there', async () => {
    const scanned = await cliJson<{ summary: { files: number } }>(home, ['scan', '--wait']);
    expect(scanned.summary.files).toBe(1);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list).toEqual([expect.objectContaining({
      path: join(webui, 'models', 'Lora', 'shared-ink.safetensors'), folder: 'loras', origin: 'scan', modelId: ids.sdxlLora.modelId, missing: false,
    })]);
    const sidecar = JSON.parse(readFileSync(join(webui, 'models', 'Lora', 'shared-ink.metadata.json'), 'utf8')) as { civitai: { creator: unknown } };
    expect(sidecar.civitai.creator).toMatchObject({ username: 'sim_artist' });
  });

  it('puts a download in the first folder ComfyUI searches: the is_default one, values taken literally', async () => {
    const vae = await addAndWait(home, ['--version', String(ids.vae.versionId)]);
    expect(vae.code, vae.stderr).toBe(0);
    expect(vae.job!.path).toBe(join(central, '$HOME', 'vae', 'sim-vae-ft-mse.safetensors'));
    const controlnet = await addAndWait(home, ['--version', String(ids.controlnet.versionId)]);
    expect(controlnet.job!.path!.startsWith(join(central, '~', 'controlnet') + '/')).toBe(true);
    // Not in a default section: ComfyUI's own folder comes before the A1111 one.
    const embedding = await addAndWait(home, ['--version', String(ids.embedding.versionId)]);
    expect(embedding.job!.path).toMatch(/^embeddings\//);
    expect(existsSync(join(home.dir, 'vae'))).toBe(false);
  });

  it('picks the file by --fp, --format and --size, or by the same keys in a page URL', async () => {
    const fp32 = await addAndWait(home, ['--version', String(ids.sd15Checkpoint.versionId), '--fp', 'FP32']);
    expect(fp32.code, fp32.stderr).toBe(0);
    expect(fp32.job).toMatchObject({ fileId: ids.sd15Checkpoint.pickleFileId, state: 'completed' });
    const page = await cli(home, ['add', `${sim.apiUrl}/models/${ids.sd15Checkpoint.modelId}?modelVersionId=${ids.sd15Checkpoint.versionId}&format=PickleTensor&size=full`, '--json']);
    expect(page.code).toBe(0);
    expect((JSON.parse(page.stdout) as JobJson).fileId).toBe(ids.sd15Checkpoint.pickleFileId);
    const pruned = await cli(home, ['add', '--version', String(ids.sd15Checkpoint.versionId), '--size', 'pruned', '--format', 'SafeTensor']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/^queued job \w+: Sim Realistic \/ v1\.0 \(simRealistic_v10\.safetensors\)/);
  });

  it('lists the files with their metadata when nothing matches (exit 2), and refuses values CivitAI does not use', async () => {
    const none = await cli(home, ['add', '--version', String(ids.sd15Checkpoint.versionId), '--fp', 'bf16', '--json']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has no file with fp=bf16. Its files:');
    expect(none.stderr).toMatch(new RegExp(`${ids.sd15Checkpoint.fileId} {2}simRealistic_v10\\.safetensors {2}\\(Model, format=SafeTensor size=pruned fp=fp16`));
    expect(none.stderr).toMatch(new RegExp(`${ids.sd15Checkpoint.pickleFileId} {2}simRealistic_v10\\.ckpt {2}\\(Model, format=PickleTensor size=full fp=fp32`));
    expect(JSON.parse(none.stdout)).toMatchObject({ error: { code: 'NOT_FOUND', exitCode: 2, message: expect.stringContaining('fp=bf16') } });
    const bad = await cli(home, ['add', '--version', '1', '--fp', 'fp64', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fp must be one of fp16, fp32, bf16, fp8, got 'fp64'/);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'BAD_USAGE', exitCode: 2 } });
  });

  it('prints results on stdout, diagnostics on stderr, and JSON whenever --json is given', async () => {
    const again = await cli(home, ['add', '--version', String(ids.vae.versionId)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^already have it: job \w+ completed/);
    expect(again.stderr).toBe('');
    const none = await cli(home, ['updates', 'get', String(ids.vae.modelId), '--json']);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout)).toMatchObject({ error: { exitCode: 2, message: expect.stringMatching(/no update is known/) } });
    expect(none.stderr).toMatch(/no update is known/);
    const down = await cli(home, ['status', '--json', '--socket', join(home.dir, 'nowhere.sock')]);
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stdout)).toMatchObject({ error: { code: 'DAEMON_UNREACHABLE', exitCode: 3 } });
  });

  it('shows a file CivitAI replaced under the version you have in updates --json', async () => {
    const served = sim.world.replaceFile(ids.vae.versionId);
    const list = await cliJson<(AvailableUpdateJson & { kind: string; installedSha256?: string; remoteSha256?: string })[]>(home, ['updates', '--check']);
    const replaced = list.filter((u) => u.kind === 'replaced');
    expect(replaced).toEqual([expect.objectContaining({
      modelId: ids.vae.modelId, installedVersionId: ids.vae.versionId, latestVersionId: ids.vae.versionId,
      path: join(central, '$HOME', 'vae', 'sim-vae-ft-mse.safetensors'), remoteSha256: served.servedSha256.toLowerCase(),
    })]);
    const text = await cli(home, ['updates']);
    expect(text.stdout).toMatch(new RegExp(`CivitAI replaced the file of version ${ids.vae.versionId}`));
  });

  it('marks files on a vanished folder missing in list, and brings them back', async () => {
    renameSync(webui, `${webui}-unplugged`);
    await cliJson(home, ['scan', '--wait']);
    const list = await cli(home, ['list']);
    expect(list.stdout).toMatch(new RegExp(`${join(webui, 'models', 'Lora', 'shared-ink.safetensors').replace(/[.]/g, '\\.')}\\s+missing\\s+LORA`));
    expect(list.stdout).toMatch(/1 missing: deleted, or on a drive that is offline/);
    renameSync(`${webui}-unplugged`, webui);
    await cliJson(home, ['scan', '--wait']);
    expect((await cliJson<CatalogEntryJson[]>(home, ['list'])).every((e) => !e.missing)).toBe(true);
  });

  it('config show asks the running daemon, with each source and live changes', async () => {
    expect((await cli(home, ['config', 'set', 'concurrency', '3'])).code).toBe(0);
    // This command's own environment differs from the daemon's: what it prints is the daemon's.
    const shown = await cli(home, ['config', 'show', '--json'], { env: { COMFYUI_DL_CONNECTIONS: '9' } });
    const report = JSON.parse(shown.stdout) as ConfigReport & { view: string };
    expect(report.view).toBe('daemon');
    expect(report.settings.civitaiUrl).toEqual({ value: sim.apiUrl, source: 'env' });
    expect(report.settings.pathTemplate).toEqual({ value: '{folder}/{fileName}', source: 'env' });
    expect(report.settings.concurrency).toEqual({ value: 3, source: 'live' });
    expect(report.settings.connections).toEqual({ value: 16, source: 'default' });
    expect(report.apiKey).toEqual({ value: null, source: null });
    const text = await cli(home, ['config', 'show']);
    expect(text.stdout).toMatch(/concurrency\s+3\s+live/);
    expect(text.stdout).toMatch(/as the running daemon uses them/);
  });

  it("config show falls back to the command's own view when the daemon is down, and says so", async () => {
    await daemon.stop();
    const shown = await cli(home, ['config', 'show', '--json'], { env: { COMFYUI_DL_CONNECTIONS: '9' } });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ view: 'cli', settings: { connections: { value: 9, source: 'env' } } });
    expect(shown.stderr).toMatch(/the daemon is not running at .*; these are the settings this command resolved itself/);
    daemon = await spawnDaemon(home, [], env());
  });
});
