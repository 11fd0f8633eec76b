import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension } from '../../scripts/extension/build.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import type { JobJson } from '../../src/ipc/protocol.js';
import { projectRoot } from '../../src/config/project-root.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { CHROMIUM, launchWithExtension, type ExtensionBrowser } from '../desktop/browser.js';
import { apiCall, portOf } from '../gateway/support.js';
import { daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { startMirrorPages, type MirrorPages } from './mirror-pages.js';

const APP_DIR = join(projectRoot(), 'desktop', 'dist');
const noBrowser = existsSync(CHROMIUM) ? null : `skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (noBrowser !== null) console.warn(`extension tests ${noBrowser}`);

(noBrowser === null ? describe : describe.skip)('"Send to comfyui-dl" in Chromium, against pages like civitai.com and huggingface.co', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let gateway: Gateway;
  let mirror: MirrorPages;
  let buildDir: string;
  let browser: ExtensionBrowser;
  let app: Page;

  const call = async <T>(method: string, params: unknown = {}): Promise<T> => {
    const body = JSON.parse((await apiCall(portOf(gateway.url), gateway.token, method, params)).body) as { ok: boolean; result: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
    return body.result;
  };
  const sendButton = (page: Page) => page.getByRole('button', { name: 'Send to comfyui-dl' });
  const sendStatus = (page: Page) => page.locator('#comfyui-dl-send').getByRole('status');

  beforeAll(async () => {
    sim = await startSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    daemon = await spawnDaemon(home);
    gateway = (await startGateway({ socket: home.socket, staticDir: APP_DIR, host: '127.0.0.1', port: 0, extensionDir: join(projectRoot(), 'extension', 'dist') }))._unsafeUnwrap();
    mirror = await startMirrorPages(sim.apiUrl);
    // The test build runs its content scripts on the mirror pages; the shipped one only on civitai.com and huggingface.co.
    buildDir = await buildExtension({
      outDir: join(mkdtempSync(join(tmpdir(), 'comfyui-dl-ext-')), 'extension'),
      contentHosts: { civitai: ['http://127.0.0.1/*'], huggingface: ['http://127.0.0.1/*'] },
    });
    browser = await launchWithExtension(buildDir);
    app = await browser.context.newPage();
    await app.goto(gateway.launchUrl);
    await app.getByText('Daemon connected').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await mirror?.close();
    await gateway?.close();
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
    if (buildDir) rmSync(join(buildDir, '..'), { recursive: true, force: true });
  });

  it('shows the button on a model page, and says how to pair before it is paired', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${mirror.url}/models/${DEFAULT_IDS.twoVersionLora.modelId}/sim-pixel?modelVersionId=${DEFAULT_IDS.twoVersionLora.olderVersionId}`);
    await sendButton(page).click();
    await expect.poll(() => sendStatus(page).textContent()).toMatch(/^Not paired with comfyui-dl yet/);
    expect(await call<{ jobs: JobJson[] }>('queue', { all: true })).toEqual({ jobs: [] });
    // Not on pages that are not a model's.
    await page.goto(`${mirror.url}/models`);
    await page.waitForTimeout(1500);
    expect(await sendButton(page).count()).toBe(0);
    await page.close();
  });

  it('pairs with a code from the app, then queues the version and file the page shows', async () => {
    await app.getByRole('navigation').getByRole('link', { name: 'Browser extension' }).click();
    await app.getByRole('button', { name: 'Show a pairing code' }).click();
    const code = (await app.locator('[data-pairing-code]').textContent())!.trim();
    expect(code).toMatch(new RegExp(`^${portOf(gateway.url)}-`));

    const popup = await browser.context.newPage();
    await popup.goto(`${browser.origin}/popup.html`);
    await popup.getByLabel('Pairing code').fill(code);
    await popup.getByRole('button', { name: 'Pair' }).click();
    await expect.poll(() => popup.getByRole('status').textContent()).toBe(`Paired with comfyui-dl on port ${portOf(gateway.url)}.`);
    await popup.close();
    // The app lists the browser by the extension's own origin.
    await app.locator(`[data-paired="${browser.origin}"]`).waitFor();

    const page = await browser.context.newPage();
    const { modelId, olderVersionId, olderFileId } = DEFAULT_IDS.twoVersionLora;
    await page.goto(`${mirror.url}/models/${modelId}/sim-pixel?modelVersionId=${olderVersionId}`);
    await sendButton(page).click();
    await expect.poll(() => sendStatus(page).textContent()).toMatch(/^Queued in comfyui-dl: .+ · /);
    const { jobs } = await call<{ jobs: JobJson[] }>('queue', { all: true });
    expect(jobs.map((j) => [j.versionId, j.fileId])).toEqual([[olderVersionId, olderFileId]]);
    // Again: the daemon already has it, and says so.
    await sendButton(page).click();
    await expect.poll(() => sendStatus(page).textContent()).toMatch(/^Already in comfyui-dl: /);
    await page.close();
  });

  it('sends a Hugging Face file page as its URL, and shows what the daemon answers', async () => {
    const page = await browser.context.newPage();
    const fileUrl = `${mirror.url}/sim-org/sim-flux/blob/main/split_files/flux1-sim.safetensors`;
    await page.goto(`${fileUrl}?show_file_info=1`);
    await sendButton(page).click();
    await expect.poll(() => sendStatus(page).getAttribute('data-tone')).not.toBe('');
    const direct = JSON.parse((await apiCall(portOf(gateway.url), gateway.token, 'add', { ref: fileUrl })).body) as { ok: boolean; error?: { message: string } };
    const shown = (await sendStatus(page).textContent()) ?? '';
    // A daemon that takes Hugging Face URLs queues it; one that does not yet answers with an error, shown as is.
    if (direct.ok) expect(shown).toMatch(/^(Queued|Already) in comfyui-dl: flux1-sim\.safetensors$/);
    else expect(shown).toBe(direct.error!.message);
    await page.close();
  });

  it('is refused once unpaired, and the pages themselves cannot reach the gateway', async () => {
    await app.locator(`[data-paired="${browser.origin}"]`).getByRole('button', { name: 'Unpair' }).click();
    await app.locator('[data-paired-none]').waitFor();
    const page = await browser.context.newPage();
    await page.goto(`${mirror.url}/models/${DEFAULT_IDS.vae.modelId}`);
    await sendButton(page).click();
    await expect.poll(() => sendStatus(page).textContent()).toMatch(/^This browser is not paired with comfyui-dl/);
    // A page's own script, on the very site the extension works on, gets nothing from the gateway.
    const fromPage = await page.evaluate(async (url) => {
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 2004 }) });
        return `status ${r.status}`;
      } catch {
        return 'blocked';
      }
    }, `${gateway.url}api/ext/add`);
    expect(fromPage).toBe('blocked');
    const { jobs } = await call<{ jobs: JobJson[] }>('queue', { all: true });
    expect(jobs.some((j) => j.versionId === DEFAULT_IDS.vae.versionId)).toBe(false);
    await page.close();
  });
});
