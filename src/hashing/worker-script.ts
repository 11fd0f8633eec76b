import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as TypeScript from 'typescript';

let cached: URL | undefined;

/**
 * Where the hashing thread's script is. Built code (dist/**.js) runs the compiled sibling file. Under vitest
 * the sources are .ts, which Node 20 cannot load in a worker and vitest does not transform for worker_threads,
 * so the worker's source is stripped of its types with the TypeScript compiler (a dev dependency, present
 * wherever .ts sources run) and started from a data: URL; it imports only node: builtins, which a data: URL may.
 */
export function sha256WorkerUrl(from: string = import.meta.url): URL {
  if (from.endsWith('.js')) return new URL('./sha256-worker.js', from);
  if (cached !== undefined) return cached;
  const sourcePath = fileURLToPath(new URL('./sha256-worker.ts', from));
  const ts = createRequire(from)('typescript') as typeof TypeScript;
  const { outputText } = ts.transpileModule(readFileSync(sourcePath, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    fileName: sourcePath,
  });
  cached = new URL(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
  return cached;
}

export function startSha256Worker(): Worker {
  return new Worker(sha256WorkerUrl());
}
