// Debian's chromium, driven by playwright-core: no browser is ever downloaded. Shared by the tests and the
// screenshot script.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium's new headless mode (the one that runs extensions too); each launch gets a fresh profile. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Runs in the page (pass it to `locator.evaluate`): whether an <img> has loaded a real picture. */
export function imageLoaded(img: unknown): boolean {
  const picture = img as { complete: boolean; naturalWidth: number };
  return picture.complete && picture.naturalWidth > 0;
}

export interface ExtensionBrowser {
  readonly context: BrowserContext;
  /** `chrome-extension://<id>`. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Chromium with an unpacked extension loaded, in its new headless mode, on a fresh profile. Playwright's own
 * `--disable-extensions` is left out, and its headless switch with it (CHROMIUM_ARGS has the headless one).
 */
export async function launchWithExtension(extensionDir: string): Promise<ExtensionBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'comfyui-dl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
    viewport: { width: 1280, height: 800 },
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 15_000 }));
  // URL.origin is "null" for schemes Node does not know.
  const { protocol, host } = new URL(worker.url());
  return {
    context,
    origin: `${protocol}//${host}`,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
