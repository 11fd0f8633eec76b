import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

let bundled: URL | undefined;

/**
 * Where the header worker's script is. Built code (dist/**.js) runs the compiled sibling, which imports its
 * modules like any other. Under vitest the sources are .ts, which Node 20 cannot load in a worker and vitest does
 * not transform for worker_threads; the worker imports the classifier and the readers, so (unlike the hashing
 * worker, which needs only node: builtins and is merely stripped of types) it is bundled into one module with
 * esbuild, a dev dependency present wherever .ts sources run, and started from a data: URL.
 */
export function headerWorkerUrl(from: string = import.meta.url): URL {
  if (!from.endsWith('.ts')) return new URL('./header-worker.js', from);
  if (bundled !== undefined) return bundled;
  const esbuild = createRequire(from)('esbuild') as typeof Esbuild;
  const { outputFiles } = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL('./header-worker.ts', from))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  bundled = new URL(`data:text/javascript;base64,${Buffer.from(outputFiles[0]!.text).toString('base64')}`);
  return bundled;
}
