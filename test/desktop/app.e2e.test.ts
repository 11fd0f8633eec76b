import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import type { JobJson } from '../../src/ipc/protocol.js';
import { projectRoot } from '../../src/lib/project-root.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { CHROMIUM, CHROMIUM_ARGS, imageLoaded } from './browser.js';

const APP_DIR = join(projectRoot(), 'desktop', 'dist');

const noBrowser = existsSync(CHROMIUM) ? null : `skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

if (noBrowser !== null) console.warn(`desktop app tests ${noBrowser}`);

(noBrowser === null ? describe : describe.skip)(`desktop app in a real browser${noBrowser === null ? '' : ` — ${noBrowser}`}`, () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let gateway: Gateway;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  const jobs = async (): Promise<JobJson[]> => {
    const r = await fetch(`${gateway.url}api/queue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ all: true }),
    });
    return ((await r.json()) as { result: { jobs: JobJson[] } }).result.jobs;
  };
  const open = async (label: string): Promise<void> => {
    await page.getByRole('navigation').getByRole('link', { name: label }).click();
  };

  beforeAll(async () => {
    if (!existsSync(join(APP_DIR, 'index.html'))) throw new Error('the desktop app is not built: run `npm run build` first');
    sim = await startSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    daemon = await spawnDaemon(home);
    gateway = (await startGateway({ socket: home.socket, staticDir: APP_DIR, host: '127.0.0.1', port: 0 }))._unsafeUnwrap();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => browserErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && browserErrors.push(m.text()));
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('opens with the one-time launch code, and keeps no secret in the address bar', async () => {
    await page.goto(gateway.openUrl);
    await expect.poll(() => page.url()).toMatch(/#\/downloads$/);
    expect(page.url()).not.toContain(gateway.token);
    await page.getByText('Daemon connected').waitFor();
    // The launch code is spent: opening it again shows the locked page instead of the app.
    const second = await browser.newPage();
    await second.goto(gateway.openUrl);
    await second.getByText('This window belongs to an earlier launch').waitFor();
    await second.close();
  });

  it('adds a model from a pasted URL and shows it download to completion', async () => {
    await page.getByLabel('CivitAI URL or AIR').fill(`${sim.apiUrl}/models/${DEFAULT_IDS.sdxlLora.modelId}`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const done = page.locator('[data-list="finished"] [data-state="completed"]', { hasText: 'Sim Ink Style XL' });
    await done.waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await done.textContent()) ?? '').toContain('loras');
  });

  it('lists the model in the Library with its preview, folder and routing reason', async () => {
    await open('Library');
    const row = page.locator('[data-path^="loras/"]');
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('Sim Ink Style XL');
    expect(await row.textContent()).toContain('SDXL 1.0');
    const preview = row.locator('img');
    await expect.poll(() => preview.evaluate(imageLoaded)).toBe(true);
  });

  it('searches CivitAI in Browse and downloads a version with one click', async () => {
    await open('Browse CivitAI');
    await page.getByLabel('Search CivitAI').fill('Pixel');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const card = page.locator(`[data-model="${DEFAULT_IDS.twoVersionLora.modelId}"]`);
    await card.waitFor();
    await expect.poll(() => card.locator('img').evaluate(imageLoaded)).toBe(true);
    await card.click();
    const newer = DEFAULT_IDS.twoVersionLora.newerVersionId;
    await page.locator(`[data-version="${newer}"] [data-download]`).click();
    await expect.poll(async () => (await jobs()).find((j) => j.versionId === newer)?.state, { timeout: 20_000 }).toBe('completed');
    await page.locator(`[data-version="${newer}"]`).getByText('In library').waitFor();
  });

  it('pauses, resumes and cancels downloads from their buttons, with live progress', async () => {
    const { fileId, versionId } = DEFAULT_IDS.sd15Checkpoint;
    sim.addFault({ kind: 'throttle', bytesPerSecond: 256 * 1024, fileId, times: Infinity });
    await open('Downloads');
    await page.getByLabel('CivitAI URL or AIR').fill(`urn:air:sd1:checkpoint:civitai:${DEFAULT_IDS.sd15Checkpoint.modelId}@${versionId}`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const row = page.locator('[data-list="active"] [data-job][data-state="downloading"]', { hasText: 'Sim Realistic' });
    await row.waitFor();
    await expect.poll(async () => (await row.textContent()) ?? '').toMatch(/\d+(\.\d)? (KB|MB) of \d+(\.\d)? MB .*\/s/);
    await row.locator('[data-action="pause"]').click();
    await page.locator('[data-list="active"] [data-state="paused"]', { hasText: 'Sim Realistic' }).waitFor();
    sim.clearFaults();
    await page.locator('[data-list="active"] [data-state="paused"]', { hasText: 'Sim Realistic' }).locator('[data-action="resume"]').click();
    await page.locator('[data-list="finished"] [data-state="completed"]', { hasText: 'Sim Realistic' }).waitFor({ timeout: 20_000 });

    sim.addFault({ kind: 'throttle', bytesPerSecond: 64 * 1024, fileId: DEFAULT_IDS.vae.fileId, times: Infinity });
    await page.getByLabel('CivitAI URL or AIR').fill(`${sim.apiUrl}/api/download/models/${DEFAULT_IDS.vae.versionId}`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('[data-list="active"] [data-job]', { hasText: 'Sim VAE' }).locator('[data-action="cancel"]').click();
    await page.locator('[data-list="finished"] [data-state="cancelled"]', { hasText: 'Sim VAE' }).waitFor();
    sim.clearFaults();
  });

  it('shows the live event feed in the Timeline', async () => {
    await open('Timeline');
    await page.locator('li[data-type="download.placed"]').first().waitFor();
    await expect.poll(() => page.locator('li[data-type="download.requested"]').count()).toBe(4);
    await expect.poll(() => page.locator('li[data-type="download.paused"]').count()).toBe(1);
    await page.getByText('Live', { exact: true }).waitFor();
    expect(browserErrors).toEqual([]);
  });

  it('shows the daemon going away and coming back, and catches up by itself', async () => {
    await daemon.stop();
    await page.getByText('Daemon offline').waitFor();
    daemon = await spawnDaemon(home);
    await page.getByText('Daemon connected').waitFor({ timeout: 15_000 });
    await open('Library');
    await expect.poll(() => page.locator('[data-path]').count()).toBe(3);
  });
});
