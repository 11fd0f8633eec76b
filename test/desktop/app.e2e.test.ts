import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import type { JobJson } from '../../src/ipc/protocol.js';
import { projectRoot } from '../../src/config/project-root.js';
import { DEFAULT_IDS, defaultWorld, startSimulator, type ModelSpec, type Simulator } from '../../src/simulator/index.js';
import { HUB_FILES, HUB_IDS, startHubSimulator, type HubSimulator } from '../../src/simulator/huggingface/index.js';
import { daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { axeCheck } from './axe.js';
import { CHROMIUM, CHROMIUM_ARGS, imageLoaded } from './browser.js';
import { pngWithText } from '../workflow/png-writer.js';

const APP_DIR = join(projectRoot(), 'desktop', 'dist');

/** What the callbacks run in the page use of its globals (the tests are compiled without the DOM library). */
interface PageGlobals {
  readonly location: { hash: string };
  readonly document: { readonly activeElement: { readonly tagName: string; readonly id: string } | null };
}
const MIB = 1024 * 1024;

const noBrowser = existsSync(CHROMIUM) ? null : `skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (noBrowser !== null) console.warn(`desktop app tests ${noBrowser}`);

/** A name longer than a card is wide, and a large file that takes long enough to be interrupted. */
const LONG = { modelId: 9301, versionId: 9302, fileId: 9303, name: 'Sim Extraordinarily Detailed Watercolor Landscapes XL' };
const BIG = { modelId: 9401, versionId: 9402, fileId: 9403, name: 'Sim Big Checkpoint' };
const EXTRA: ModelSpec[] = [
  {
    id: LONG.modelId, name: LONG.name, type: 'LORA', creator: 'sim_artist', tags: ['style'],
    versions: [{ id: LONG.versionId, name: 'v1.0', baseModel: 'SDXL 1.0', files: [{ id: LONG.fileId, name: 'sim-watercolor-xl.safetensors', content: { format: 'safetensors', fixture: 'sdxl-lora' } }], images: [{ id: 9304, format: 'jpeg', width: 832, height: 1216 }] }],
  },
  {
    id: BIG.modelId, name: BIG.name, type: 'Checkpoint', creator: 'sim_studio', tags: ['base model'],
    versions: [{ id: BIG.versionId, name: 'v2.0', baseModel: 'SDXL 1.0', files: [{ id: BIG.fileId, name: 'sim-big-xl.safetensors', content: { format: 'safetensors', fixture: 'sdxl-checkpoint', minSize: 96 * MIB } }], images: [] }],
  },
];

(noBrowser === null ? describe : describe.skip)(`desktop app in a real browser${noBrowser === null ? '' : ` — ${noBrowser}`}`, () => {
  let sim: Simulator;
  let hub: HubSimulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let gateway: Gateway;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  const api = async <T>(method: string, params: unknown = {}): Promise<T> => {
    const r = await fetch(`${gateway.url}api/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    const body = (await r.json()) as { ok: boolean; result: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
    return body.result;
  };
  const jobs = async (): Promise<JobJson[]> => (await api<{ jobs: JobJson[] }>('queue', { all: true })).jobs;
  const open = async (label: string): Promise<void> => {
    await page.getByRole('navigation').getByRole('link', { name: label }).click();
  };
  const row = (name: string) => page.locator('article[data-job]', { hasText: name });
  const add = async (ref: string): Promise<void> => {
    await page.getByLabel('CivitAI URL or AIR').fill(ref);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
  };

  beforeAll(async () => {
    if (!existsSync(join(APP_DIR, 'index.html'))) throw new Error('the desktop app is not built: run `npm run build` first');
    sim = await startSimulator({ world: { models: [...defaultWorld().models, ...EXTRA] } });
    hub = await startHubSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, HF_ENDPOINT: hub.hubUrl });
    daemon = await spawnDaemon(home);
    gateway = (await startGateway({ socket: home.socket, staticDir: APP_DIR, host: '127.0.0.1', port: 0 }))._unsafeUnwrap();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => browserErrors.push(e.message));
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await daemon?.stop();
    await sim?.close();
    await hub?.close();
    home?.cleanup();
  });

  it('opens with the one-time launch code, and keeps no secret in the address bar', async () => {
    await page.goto(gateway.openUrl);
    await expect.poll(() => page.url()).toMatch(/#\/downloads$/);
    expect(page.url()).not.toContain(gateway.token);
    await page.getByText('Daemon connected').waitFor();
    const second = await browser.newPage();
    await second.goto(gateway.openUrl);
    await second.getByText('This window belongs to an earlier launch').waitFor();
    await second.close();
  });

  it('adds a model from a pasted URL and shows it download to completion; a too-long link gets words, not schema', async () => {
    await add(`${sim.apiUrl}/models/${DEFAULT_IDS.sdxlLora.modelId}`);
    const done = page.locator('[data-list="finished"] [data-state="completed"]', { hasText: 'Sim Ink Style XL' });
    await done.waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await done.textContent()) ?? '').toContain('loras');

    await add(`${sim.apiUrl}/models/${DEFAULT_IDS.vae.modelId}?${'x'.repeat(3000)}`);
    const said = await page.locator('[data-add-message]').textContent();
    expect(said).toMatch(/^This link is 3,\d{3} characters long; comfyui-dl takes links of up to 2,048\./);
    expect(said).not.toMatch(/params|expected|<=/);
    expect(await jobs()).toHaveLength(1);
    await page.getByLabel('CivitAI URL or AIR').fill('');
  });

  it('lists the model in the Library with its preview, folder and routing reason', async () => {
    await open('Library');
    const entry = page.locator('[data-path^="loras/"]');
    await entry.waitFor();
    await expect.poll(() => entry.textContent()).toContain('Sim Ink Style XL');
    expect(await entry.textContent()).toContain('SDXL 1.0');
    await expect.poll(() => entry.locator('img').evaluate(imageLoaded)).toBe(true);
  });

  it('shows whole model names in Browse, and downloads a version with one click', async () => {
    await open('Browse CivitAI');
    await page.getByLabel('Search CivitAI').fill('Sim');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const long = page.locator(`[data-model="${LONG.modelId}"] .name`);
    await long.waitFor();
    // Every character of the name is on screen: nothing cut or hidden by the card's width.
    expect(await long.evaluate((el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1)).toBe(true);
    expect(await long.innerText()).toBe(LONG.name);

    await page.locator(`[data-model="${DEFAULT_IDS.twoVersionLora.modelId}"]`).click();
    const newer = DEFAULT_IDS.twoVersionLora.newerVersionId;
    await page.locator(`[data-version="${newer}"] [data-download]`).click();
    await expect.poll(async () => (await jobs()).find((j) => j.versionId === newer)?.state, { timeout: 20_000 }).toBe('completed');
    await page.locator(`[data-version="${newer}"]`).getByText('In library').waitFor();
  });

  it('pauses, resumes and cancels from buttons, each row telling the truth with live progress', async () => {
    const { fileId, versionId, modelId } = DEFAULT_IDS.sd15Checkpoint;
    sim.addFault({ kind: 'throttle', bytesPerSecond: 256 * 1024, fileId, times: Infinity });
    await open('Downloads');
    await add(`urn:air:sd1:checkpoint:civitai:${modelId}@${versionId}`);
    const realistic = row('Sim Realistic');
    await realistic.and(page.locator('[data-state="downloading"]')).waitFor();
    await expect.poll(async () => (await realistic.textContent()) ?? '').toMatch(/\d+(\.\d)? (KiB|MiB) of \d+(\.\d)? MiB .*\/s.* left/);
    await realistic.locator('[data-action="pause"]').click();
    await realistic.and(page.locator('[data-state="paused"]')).waitFor();
    expect(await realistic.locator('[data-badge]').textContent()).toBe('Paused');
    expect(await realistic.locator('[data-speed]').count()).toBe(0);
    sim.clearFaults();
    await realistic.locator('[data-action="resume"]').click();
    await page.locator('[data-list="finished"] [data-state="completed"]', { hasText: 'Sim Realistic' }).waitFor({ timeout: 20_000 });

    sim.addFault({ kind: 'throttle', bytesPerSecond: 64 * 1024, fileId: DEFAULT_IDS.vae.fileId, times: Infinity });
    await add(`${sim.apiUrl}/api/download/models/${DEFAULT_IDS.vae.versionId}`);
    await row('Sim VAE').locator('[data-action="cancel"]').click();
    const cancelled = page.locator('[data-list="finished"] [data-state="cancelled"]', { hasText: 'Sim VAE' });
    await cancelled.waitFor();
    await cancelled.getByRole('button', { name: 'Download again' }).waitFor();
    sim.clearFaults();
  });

  it('says once that the daemon is down, freezes no speed, claims no update state, and after a restart shows the download moving', async () => {
    sim.addFault({ kind: 'throttle', bytesPerSecond: 2 * MIB, fileId: BIG.fileId, times: Infinity });
    await add(`${sim.apiUrl}/models/${BIG.modelId}`);
    const big = row(BIG.name);
    await big.locator('[data-speed]').waitFor({ timeout: 15_000 });

    await daemon.stop();
    await page.locator('main [data-link="daemon-down"]').waitFor();
    expect(await page.getByRole('alert').count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toMatch(/The comfyui-dl daemon is not running/);
    expect(await page.locator('nav').getByText('Daemon offline').count()).toBe(1);
    expect(await big.locator('[data-speed]').count()).toBe(0);
    expect(await big.locator('[data-eta]').count()).toBe(0);
    expect(await big.locator('[data-action="pause"]').isDisabled()).toBe(true);
    const frozen = await big.locator('[data-amounts]').textContent();
    await open('Updates');
    await page.locator('[data-verdict="offline"]').waitFor();
    expect(await page.getByText('Everything is up to date').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(1);
    await open('Downloads');

    daemon = await spawnDaemon(home);
    await page.getByText('Daemon connected').waitFor({ timeout: 15_000 });
    // Resumed from its last durable chunk: Downloading, bytes moving, a speed, and never stuck at "Resolving".
    await big.and(page.locator('[data-state="downloading"]')).waitFor({ timeout: 15_000 });
    await big.locator('[data-speed]').waitFor({ timeout: 15_000 });
    const first = await big.locator('[data-amounts]').textContent();
    await expect.poll(() => big.locator('[data-amounts]').textContent(), { timeout: 10_000 }).not.toBe(first);
    expect(await big.locator('[data-amounts]').textContent()).not.toBe(frozen);
    expect(await page.getByRole('alert').count()).toBe(0);
    sim.clearFaults();
    await page.locator('[data-list="finished"] [data-state="completed"]', { hasText: BIG.name }).waitFor({ timeout: 30_000 });
  // Its waits add up past the default: a daemon stopped and started again, then a 96 MiB file to the end, on a busy CI.
  }, 120_000);

  it('shows a failure in words with a Retry button, and Download again on the model page retries that job', async () => {
    const { modelId, versionId, fileId } = DEFAULT_IDS.embedding;
    sim.addFault({ kind: 'corrupt', offset: 100, fileId, times: Infinity });
    await add(`${sim.apiUrl}/models/${modelId}`);
    const failed = page.locator('[data-list="finished"] [data-state="failed"]');
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.locator('[data-note]').textContent()).not.toMatch(/comfyui-dl|`/);
    await failed.getByRole('button', { name: 'Retry' }).waitFor();
    const [job] = (await jobs()).filter((j) => j.versionId === versionId);

    sim.clearFaults();
    await page.goto(`${gateway.url}#/browse/model/${modelId}`);
    await page.locator(`[data-version="${versionId}"]`).getByText('Failed', { exact: true }).first().waitFor();
    await page.locator(`[data-version="${versionId}"] [data-retry]`).click();
    await expect.poll(async () => (await jobs()).find((j) => j.id === job!.id)?.state, { timeout: 20_000 }).toBe('completed');
    expect((await jobs()).filter((j) => j.versionId === versionId).map((j) => j.id)).toEqual([job!.id]);
  });

  it('tells every event in words in the Timeline, filters it, and pages back through the whole log', async () => {
    await open('Timeline');
    await page.locator('li[data-type="download.placed"]').first().waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    for (const summary of await page.locator('li .summary').allTextContents()) expect(summary).not.toMatch(/[{}]|0\.0 MB|comfyui-dl /);
    expect(await page.locator('li[data-type="download.chunk_written"]').count()).toBe(0);

    const settings = page.getByRole('button', { name: 'Settings' });
    await settings.click();
    expect(await settings.getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('button', { name: 'All' }).getAttribute('aria-pressed')).toBe('false');
    await page.locator('[data-empty="filtered"]').getByText('No events match this filter').waitFor();

    for (let i = 0; i < 130; i++) await api('settings.set', { key: 'connections', value: 1 + (i % 4) });
    await page.getByRole('button', { name: 'Library' }).click();
    await settings.click();
    await expect.poll(() => page.locator('li[data-type="settings.changed"]').count()).toBe(100);
    await page.locator('[data-older]').click();
    await expect.poll(() => page.locator('li[data-type="settings.changed"]').count()).toBe(130);
    await page.locator('[data-start]').waitFor();
    const positions = (await page.locator('li[data-position]').evaluateAll((items) => items.map((li) => Number(li.getAttribute('data-position')))));
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    expect(new Set(positions).size).toBe(130);
    await page.getByRole('button', { name: 'All' }).click();
  });

  it('reads a dropped workflow (API JSON, and a PNG with compressed text), lists each file, and Get all brings the missing ones to their exact names', async () => {
    const workflowDir = mkdtempSync(join(home.dir, 'workflows-'));
    mkdirSync(join(home.modelsDir, 'checkpoints'), { recursive: true });
    writeFileSync(join(home.modelsDir, 'checkpoints', 'kept.safetensors'), 'a checkpoint the user has');
    await open('Workflow');
    await page.locator('h1', { hasText: 'Workflow' }).waitFor();

    // Dropped: an API prompt, whose checkpoint is there and whose LoRA nobody can find.
    const prompt = JSON.stringify({
      1: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'kept.safetensors' } },
      2: { class_type: 'LoraLoader', inputs: { lora_name: 'nowhere.safetensors', strength_model: 1, strength_clip: 1, model: ['1', 0], clip: ['1', 1] } },
    });
    const dropped = await page.evaluateHandle((text) => {
      const g = globalThis as unknown as { DataTransfer: new () => { items: { add(file: unknown): void } }; File: new (parts: string[], name: string, options: object) => unknown };
      const transfer = new g.DataTransfer();
      transfer.items.add(new g.File([text], 'api-prompt.json', { type: 'application/json' }));
      return transfer;
    }, prompt);
    await page.locator('[data-drop-zone]').dispatchEvent('drop', { dataTransfer: dropped });
    await page.locator('[data-workflow="api-prompt.json"] [data-counts]').getByText('1 present').waitFor();
    expect(await page.locator('[data-model="nowhere.safetensors"]').getAttribute('data-status')).toBe('unresolved');
    expect(await page.locator('[data-model="nowhere.safetensors"] [data-detail]').textContent()).toMatch(/^The workflow gives no URL or hash for it: find it and put it at loras\/nowhere\.safetensors$/);

    // Chosen: a PNG ComfyUI saved, its workflow in a compressed iTXt chunk (inflated by the browser).
    const { controlnet, vae } = DEFAULT_IDS;
    const ui = {
      nodes: [
        { id: 1, type: 'CheckpointLoaderSimple', widgets_values: ['kept.safetensors'] },
        { id: 2, type: 'ControlNetLoader', widgets_values: ['canny/control-canny.safetensors'] },
        { id: 3, type: 'VAELoader', widgets_values: ['ae-by-hash.safetensors'] },
        { id: 4, type: 'UNETLoader', widgets_values: ['flux1-dev-sim.safetensors', 'default'] },
        { id: 5, type: 'UpscaleModelLoader', widgets_values: ['4x-nowhere.pth'] },
      ],
      models: [
        { name: 'canny/control-canny.safetensors', directory: 'controlnet', url: `${sim.apiUrl}/api/download/models/${controlnet.versionId}` },
        { name: 'ae-by-hash.safetensors', directory: 'vae', hash: sim.world.file(vae.fileId)!.servedSha256.toLowerCase(), hash_type: 'sha256' },
        { name: 'flux1-dev-sim.safetensors', directory: 'diffusion_models', url: 'https://huggingface.co/sim-gated/flux-dev-sim/resolve/main/flux1-dev-sim.safetensors' },
      ],
    };
    const png = join(workflowDir, 'ComfyUI_00042_.png');
    writeFileSync(png, pngWithText([{ kind: 'iTXt', keyword: 'workflow', text: JSON.stringify(ui), compressed: true }]));
    await page.locator('[data-workflow-input]').setInputFiles(png);
    const listed = page.locator('[data-workflow="ComfyUI_00042_.png"]');
    await listed.locator('[data-counts]').getByText('3 missing').waitFor();
    const statuses = await listed.locator('[data-model]').evaluateAll((items) => items.map((li) => `${li.getAttribute('data-model')} ${li.getAttribute('data-status')}`));
    expect(statuses).toEqual([
      'kept.safetensors present', 'canny/control-canny.safetensors missing', 'ae-by-hash.safetensors missing',
      'flux1-dev-sim.safetensors missing', '4x-nowhere.pth unresolved',
    ]);
    expect(await listed.locator('[data-model="ae-by-hash.safetensors"] [data-detail]').textContent()).toBe('From CivitAI (found by its hash), to vae/ae-by-hash.safetensors');

    await page.locator('[data-get-all]').click();
    await listed.locator('[data-model="canny/control-canny.safetensors"][data-status="present"]').waitFor({ timeout: 20_000 });
    await listed.locator('[data-model="ae-by-hash.safetensors"][data-status="present"]').waitFor({ timeout: 20_000 });
    expect(existsSync(join(home.modelsDir, 'controlnet', 'canny', 'control-canny.safetensors'))).toBe(true);
    expect(existsSync(join(home.modelsDir, 'vae', 'ae-by-hash.safetensors'))).toBe(true);
    // A gated repo without a token: the daemon's answer, saying what to do, is shown with the file.
    expect(await listed.locator('[data-model="flux1-dev-sim.safetensors"] [data-error]').textContent()).toMatch(/^Not queued: .*(gated|conditions)/i);
    await listed.locator('[data-counts]').getByText('3 present').waitFor();
    // Nothing left that Get all could bring, until Check again asks anew for the refused one.
    expect(await page.locator('[data-get-all]').isDisabled()).toBe(true);
    await page.locator('[data-check-again]').click();
    await page.locator('[data-get-all]', { hasText: 'Get all (1)' }).waitFor();
    expect(await listed.locator('[data-error]').count()).toBe(0);
  });

  it('lists a Hugging Face file that a newer commit changed, and Get fetches the new bytes beside the old ones', async () => {
    const ref = `hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`;
    const added = await api<{ job: JobJson }>('add', { ref });
    await expect.poll(async () => (await jobs()).find((j) => j.id === added.job.id)?.state, { timeout: 20_000 }).toBe('completed');
    const commit = hub.commit(HUB_IDS.flux, { title: 'Retrained VAE', changes: [{ path: HUB_FILES.fluxVae }] });
    await api('updates', { check: true });

    await open('Updates');
    const change = page.locator(`[data-hub-change="${ref}"]`);
    await change.waitFor();
    expect(await change.textContent()).toContain('Retrained VAE');
    expect(await change.textContent()).toContain(commit.id.slice(0, 7));
    expect(await page.getByText('Everything is up to date').count()).toBe(0);
    await change.getByRole('button', { name: 'Get the new file' }).click();
    await expect.poll(async () => (await jobs()).find((j) => j.revision === commit.id)?.state, { timeout: 20_000 }).toBe('completed');
    await change.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('passes axe-core on every page in both themes, moves focus to each page heading, and has a skip link', async () => {
    const pages: [label: string, hash: string][] = [
      ['Downloads', '#/downloads'], ['Library', '#/library'], ['Browse CivitAI', '#/browse'], ['Model page', `#/browse/model/${DEFAULT_IDS.twoVersionLora.modelId}`],
      ['Updates', '#/updates'], ['Workflow (with a checked workflow)', '#/workflow'], ['Timeline', '#/timeline'], ['Browser extension', '#/extension'],
    ];
    const serious: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [label, hash] of pages) {
        await page.evaluate((h) => ((globalThis as unknown as PageGlobals).location.hash = h), hash);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        if (label !== 'Model page') await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.tagName)).toBe('H1');
        for (const v of await axeCheck(page, `${label} (${scheme})`)) if (v.impact === 'serious' || v.impact === 'critical') serious.push(`${label} (${scheme}): ${v.id} ${v.targets.join(' | ')}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(serious).toEqual([]);

    await page.reload();
    await page.getByText('Daemon connected').waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('main');
    expect(browserErrors).toEqual([]);
  });

  it('says it is the app server, not the daemon, when `comfyui-dl ui` stops (even after the daemon went first)', async () => {
    await daemon.stop();
    await page.locator('main [data-link="daemon-down"]').waitFor({ timeout: 15_000 });
    await gateway.close();
    await page.locator('main [data-link="gateway-down"]').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toMatch(/The app server has stopped/);
    expect(await page.locator('nav').getByText('App server stopped').count()).toBe(1);
  });
});
