import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { createHashPool, hashFile } from '../../src/hashing/index.js';
import { projectRoot } from '../../src/config/project-root.js';
import type * as Hashing from '../../src/hashing/index.js';
import type * as WorkerScript from '../../src/hashing/worker-script.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hash-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hashFile', () => {
  it('equals node:crypto on the same bytes, across read boundaries and for an empty file', async () => {
    // 8 MiB reads: cover an exact multiple, one byte past it, and nothing at all.
    for (const size of [0, 1, 8 * 1024 * 1024, 8 * 1024 * 1024 + 1, 20_000_003]) {
      const bytes = randomBytes(size);
      const path = join(dir, `f-${size}`);
      await writeFile(path, bytes);
      expect(await hashFile(path)).toBe(sha256(bytes));
    }
  });

  it('runs many files through a bounded pool', async () => {
    const pool = createHashPool({ size: 2 });
    const files = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const bytes = randomBytes(100_000 + i);
        const path = join(dir, `p-${i}`);
        await writeFile(path, bytes);
        return { path, expected: sha256(bytes) };
      }),
    );
    const hashes = await Promise.all(files.map((file) => pool.hashFile(file.path)));
    expect(hashes).toEqual(files.map((file) => file.expected));
    await pool.close();
    await expect(pool.hashFile(files[0]!.path)).rejects.toThrow(/closed/);
  });

  it('rejects with the errno code for a missing file, and the pool keeps working', async () => {
    const pool = createHashPool({ size: 1 });
    await expect(pool.hashFile(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    const path = join(dir, 'after-missing');
    await writeFile(path, 'ok');
    expect(await pool.hashFile(path)).toBe(sha256(Buffer.from('ok')));
    await pool.close();
  });

  it('stops on abort, and a later job still runs', async () => {
    const pool = createHashPool({ size: 1 });
    const path = join(dir, 'big');
    const bytes = randomBytes(64 * 1024 * 1024);
    await writeFile(path, bytes);
    const controller = new AbortController();
    const aborted = pool.hashFile(path, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    const already = AbortSignal.abort();
    await expect(pool.hashFile(path, { signal: already })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await pool.hashFile(path)).toBe(sha256(bytes));
    await pool.close();
  });

  it('works from compiled .js files, where the worker is the sibling sha256-worker.js', async () => {
    // What `tsc -p tsconfig.build.json` emits for src/hashing, without building the whole project.
    const source = join(projectRoot(), 'src', 'hashing');
    const out = await mkdtemp(join(tmpdir(), 'hashing-js-'));
    try {
      for (const name of await readdir(source)) {
        if (!name.endsWith('.ts')) continue;
        const { outputText } = ts.transpileModule(await readFile(join(source, name), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
          fileName: name,
        });
        await writeFile(join(out, name.replace(/\.ts$/, '.js')), outputText);
      }
      await writeFile(join(out, 'package.json'), '{"type":"module"}');
      const compiledScript = (await import(pathToFileURL(join(out, 'worker-script.js')).href)) as typeof WorkerScript;
      expect(compiledScript.sha256WorkerUrl().href).toBe(pathToFileURL(join(out, 'sha256-worker.js')).href);
      const compiled = (await import(pathToFileURL(join(out, 'index.js')).href)) as typeof Hashing;
      const bytes = randomBytes(3_000_000);
      const path = join(dir, 'compiled');
      await writeFile(path, bytes);
      const pool = compiled.createHashPool({ size: 1 });
      expect(await pool.hashFile(path)).toBe(sha256(bytes));
      await pool.close();
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
