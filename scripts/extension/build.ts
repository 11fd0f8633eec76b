// Builds the "Send to comfyui-dl" WebExtension into a folder that Chromium and Firefox load unpacked: one
// classic script per entry (content scripts cannot be modules), the manifest and the popup page.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../../src/config/project-root.js';

/** The extension's sources; `dist/` beside them is the shipped build. */
export const EXTENSION_SOURCE = join(projectRoot(import.meta.url), 'extension');
const source = EXTENSION_SOURCE;
const ENTRIES = ['background', 'civitai', 'huggingface', 'popup'] as const;

export interface ExtensionBuild {
  readonly outDir: string;
  /**
   * Where the content scripts run, instead of civitai.com and huggingface.co: a test build points them at pages
   * served on 127.0.0.1. The shipped build never sets it.
   */
  readonly contentHosts?: { readonly civitai: readonly string[]; readonly huggingface: readonly string[] };
}

interface Manifest {
  content_scripts: { matches: string[]; js: string[] }[];
  [key: string]: unknown;
}

export async function buildExtension(options: ExtensionBuild): Promise<string> {
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(options.outDir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(ENTRIES.map((name) => [name, join(source, 'src', `${name}.ts`)])),
    outdir: options.outDir,
    bundle: true,
    format: 'iife',
    target: ['chrome120', 'firefox121'],
    logLevel: 'warning',
  });
  const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as Manifest;
  if (options.contentHosts) {
    for (const script of manifest.content_scripts) {
      script.matches = [...(script.js.includes('civitai.js') ? options.contentHosts.civitai : options.contentHosts.huggingface)];
    }
  }
  writeFileSync(join(options.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(source, 'popup.html'), join(options.outDir, 'popup.html'));
  return options.outDir;
}

