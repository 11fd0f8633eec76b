// Debian's chromium, driven by playwright-core: no browser is ever downloaded. Shared by the tests and the
// screenshot script.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
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
