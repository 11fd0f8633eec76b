import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, whether running from src/ (tests) or dist/src/ (built). */
export function projectRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('comfyui-dl: cannot find the project folder (package.json)');
    dir = parent;
  }
}

/** The package's version, read at run time so neither the CLI nor the daemon needs a generated file. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(join(projectRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }
).version;

/** `comfyui-dl/<version> (+homepage)`: descriptive and plainly not a browser, for every HTTP request the tool makes. */
export const USER_AGENT = `comfyui-dl/${PACKAGE_VERSION} (+https://github.com/comfyui-dl/comfyui-dl)`;
