// `npm run screenshots [-- <name>...]`: the desktop app as a person sees it, one PNG per page in docs/screenshots/
// (1280×800); with names (`workflow`), only those pages' pictures are written.
// Starts the CivitAI simulator, a daemon with a few models downloaded, two large downloads in flight, a paused
// and a failed one and an update available, then the gateway, and photographs each page in Debian's chromium, in
// the light and the dark theme.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startGateway } from '../src/gateway/index.js';
import type { Result } from 'neverthrow';
import { connectIpc } from '../src/ipc/client.js';
import type { JobJson } from '../src/ipc/protocol.js';
import { projectRoot } from '../src/config/project-root.js';
import { DEFAULT_IDS, defaultWorld, startSimulator, type ModelSpec } from '../src/simulator/index.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/desktop/browser.js';
import { daemonHome, spawnDaemon } from '../test/support/daemon-process.js';

const MIB = 1024 * 1024;
const root = projectRoot(import.meta.url);
const outDir = join(root, 'docs', 'screenshots');

/** Two large checkpoints, so that the Downloads page has transfers in flight. */
function largeModel(id: number, name: string, baseModel: string, fileName: string, fixture: string): ModelSpec {
  return {
    id,
    name,
    type: 'Checkpoint',
    creator: 'sim_studio',
    tags: ['base model'],
    versions: [
      {
        id: id + 1,
        name: 'v3.0',
        baseModel,
        files: [{ id: id + 2, name: fileName, metadata: { format: 'SafeTensor', size: 'full', fp: 'fp16' }, content: { format: 'safetensors', fixture, minSize: 900 * MIB } }],
        images: [{ id: id + 3, format: 'jpeg', width: 832, height: 1216 }],
      },
    ],
  };
}

const LARGE = [
  largeModel(9101, 'Sim Juggernaut XL', 'SDXL 1.0', 'simJuggernautXL_v30.safetensors', 'sdxl-checkpoint'),
  largeModel(9201, 'Sim Flux Schnell', 'Flux.1 S', 'simFluxSchnell_v30.safetensors', 'flux-schnell-unet-only'),
];

function must<T>(result: Result<T, { message: string }>): T {
  return result.match(
    (value) => value,
    (error) => {
      throw new Error(error.message);
    },
  );
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const only = process.argv.slice(2);

async function shoot(page: Page, name: string): Promise<void> {
  if (only.length > 0 && !only.includes(name.replace(/-dark$/, ''))) return;
  // Let pictures decode and progress settle before the shot.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
}

const sim = await startSimulator({ world: { models: [...defaultWorld().models, ...LARGE] } });
for (const model of LARGE) sim.addFault({ kind: 'throttle', bytesPerSecond: 6 * MIB, fileId: model.id + 2, times: Infinity });
const home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
const daemon = await spawnDaemon(home);
const client = must(await connectIpc(home.socket));
const gateway = must(await startGateway({ socket: home.socket, staticDir: join(root, 'desktop', 'dist'), host: '127.0.0.1', port: 0, extensionDir: '~/comfyui-dl/extension/dist' }));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
let exitCode = 0;
try {
  mkdirSync(outDir, { recursive: true });
  const ids = DEFAULT_IDS;
  const jobsOf = async () => must(await client.request('queue', { all: true })).jobs;
  const add = async (params: { version: number } | { ref: string }): Promise<JobJson> => must(await client.request('add', params)).job!;

  // The library: a few kinds, and the older version of a LoRA whose newer version is out.
  for (const version of [ids.sd15Checkpoint.versionId, ids.sdxlLora.versionId, ids.fluxUnetAsCheckpoint.versionId, ids.vae.versionId, ids.controlnet.versionId, ids.embedding.versionId, ids.twoVersionLora.olderVersionId]) {
    await add({ version });
  }
  await until('the library downloads', async () => (await jobsOf()).every((j) => j.state === 'completed'));
  must(await client.request('updates', { check: true }));
  // A download that needs an API key (none is set) fails with a message saying so.
  await add({ version: ids.loginRequired.versionId });
  for (const model of LARGE) await add({ ref: `${sim.apiUrl}/models/${model.id}` });
  const paused = await add({ version: ids.upscalerPickle.versionId });
  must(await client.request('pause', { job: paused.id }));
  await until('transfers in flight', async () => (await jobsOf()).filter((j) => j.state === 'downloading' && j.bytesDone > 20 * MIB).length === 2);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await page.goto(gateway.openUrl);
  await page.getByText('Daemon connected').waitFor();
  await page.waitForTimeout(2500);
  const nav = (label: string) => page.getByRole('navigation').getByRole('link', { name: label }).click();

  // Each page in both themes: `<name>.png` light, `<name>-dark.png` dark.
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const suffix = scheme === 'dark' ? '-dark' : '';
    await nav('Downloads');
    await page.locator('[data-speed]').first().waitFor();
    await shoot(page, `downloads${suffix}`);

    await nav('Library');
    await page.locator('[data-path] img').first().waitFor();
    await shoot(page, `library${suffix}`);

    await nav('Browse CivitAI');
    await page.locator('[data-model] img').first().waitFor();
    await shoot(page, `browse${suffix}`);

    await page.locator(`[data-model="${ids.twoVersionLora.modelId}"]`).click();
    await page.locator(`[data-version="${ids.twoVersionLora.newerVersionId}"]`).waitFor();
    await shoot(page, `model${suffix}`);

    await nav('Updates');
    await page.locator('[data-update]').first().waitFor();
    await shoot(page, `updates${suffix}`);

    await nav('Workflow');
    if (scheme === 'light') {
      // A shared workflow whose checkpoint is in the library and whose other files come down slowly, side by side.
      for (const fileId of [ids.vae.fileId, ids.controlnet.fileId, ids.upscalerPickle.fileId, ids.twoVersionLora.newerFileId]) {
        sim.addFault({ kind: 'throttle', bytesPerSecond: 24 * 1024, fileId, times: Infinity });
      }
      must(await client.request('settings.set', { key: 'concurrency', value: 8 }));
      await page.locator('[data-workflow-input]').setInputFiles(join(root, 'docs', 'demo-workflow.json'));
      await page.locator('[data-get-all]', { hasText: 'Get all (4)' }).click();
    }
    await page.locator('[data-workflow] [data-speed]').first().waitFor();
    await shoot(page, `workflow${suffix}`);

    await nav('Timeline');
    await page.locator('li[data-type]').first().waitFor();
    await shoot(page, `timeline${suffix}`);

    await nav('Browser extension');
    await page.getByRole('button', { name: /pairing code|new code/ }).click();
    await page.locator('[data-pairing-code]').waitFor();
    await shoot(page, `extension${suffix}`);
  }
} catch (e) {
  console.error(`screenshots failed: ${(e as Error).stack ?? String(e)}`);
  exitCode = 1;
} finally {
  await browser.close();
  await gateway.close();
  await client.close();
  await daemon.stop();
  await sim.close();
  home.cleanup();
}
process.exitCode = exitCode;
