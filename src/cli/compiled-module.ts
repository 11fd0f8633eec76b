import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../config/project-root.js';

/**
 * Loads a module of the compiled tree (`dist/src/<path>`) by a computed path: the commands that need the
 * daemon's storage (`daemon`, `doctor`) load it only when they run, so every other command (and the CLI bundle)
 * stays free of SQLite and HTTP code.
 */
export async function loadCompiled<T>(path: string): Promise<T> {
  const entry = pathToFileURL(join(projectRoot(import.meta.url), 'dist', 'src', path)).href;
  // A script compiled by node:vm (the bundled CLI) cannot use import() on Node 20: bin/comfyui-dl provides it.
  const load = (globalThis as { __comfyuiDlImport?: (specifier: string) => Promise<unknown> }).__comfyuiDlImport ?? ((s: string) => import(s));
  return (await load(entry)) as T;
}
