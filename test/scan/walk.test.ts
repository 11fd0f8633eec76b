import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MODEL_FILE_EXTENSIONS, walkModelFiles, type WalkedFile, type WalkOptions, type WalkWarning,
} from '../../src/handlers/scan/walk.js';

async function collect(roots: string[], options: Partial<WalkOptions> = {}) {
  const warnings: WalkWarning[] = [];
  const files: WalkedFile[] = [];
  for await (const file of walkModelFiles(roots, {
    extensions: MODEL_FILE_EXTENSIONS, onWarning: (w) => warnings.push(w), ...options,
  })) files.push(file);
  return { files, warnings };
}

describe('walkModelFiles', () => {
  let base: string;
  let models: string;
  let extra: string;
  const rel = (files: readonly WalkedFile[]): string[] => files.map((f) => relative(base, f.path));

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'comfyui-dl-walk-')));
    models = join(base, 'models');
    extra = join(base, 'extra');
    const put = async (path: string, text = path): Promise<void> => {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, text);
    };
    await put(join(models, 'loras', 'a.safetensors'));
    await put(join(models, 'loras', 'B.SafeTensors'));
    await put(join(models, 'loras', 'notes.txt'));
    await put(join(models, 'loras', 'unfinished.safetensors.part'));
    await put(join(models, 'loras', 'odd.part'));
    await put(join(models, 'checkpoints', 'deep', 'er', 'c.CKPT'));
    await put(join(models, 'unet', 'flux.GGUF'));
    await put(join(models, '.git', 'objects.safetensors'));
    await put(join(models, '.staging', 'downloading.safetensors'));
    await put(join(base, 'blobs', 'sha-abc'), 'blob');
    // Two links to one file: the real name sorts first, so it wins.
    await symlink('a.safetensors', join(models, 'loras', 'link-to-a.safetensors'));
    // A hard link is the same physical file too.
    await link(join(models, 'unet', 'flux.GGUF'), join(models, 'unet', 'z-hardlink.gguf'));
    // Loops: a folder linking to its ancestor, and to itself.
    await symlink('../..', join(models, 'checkpoints', 'deep', 'back-to-models'));
    await symlink('.', join(models, 'checkpoints', 'self'));
    await symlink('missing.safetensors', join(models, 'loras', 'dangling.safetensors'));
    await symlink('ping', join(models, 'loras', 'pong'));
    await symlink('pong', join(models, 'loras', 'ping'));
    // A link named like a model pointing at an extension-less blob (the Hugging Face cache layout).
    await mkdir(extra);
    await symlink(join(base, 'blobs', 'sha-abc'), join(extra, 'hf-model.safetensors'));
    // A second root reaching into the first through a folder link, plus its own file.
    await symlink(join(models, 'checkpoints'), join(extra, 'shared-checkpoints'));
    await put(join(extra, 'upscale', 'x4.pth'));
    // A FIFO with a model name: opening it would block forever.
    execFileSync('mkfifo', [join(models, 'loras', 'pipe.safetensors')]);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('finds each model file once, following links without looping, case-insensitively', async () => {
    const { files, warnings } = await collect([models, extra, join(base, 'not-mounted')], { ownDirs: [join(models, '.staging')] });
    expect(rel(files)).toEqual([
      'models/checkpoints/deep/er/c.CKPT',
      'models/loras/B.SafeTensors',
      'models/loras/a.safetensors',
      'models/unet/flux.GGUF',
      'extra/hf-model.safetensors',
      'extra/upscale/x4.pth',
    ]);
    expect(files.map((f) => f.root)).toEqual([models, models, models, models, extra, extra]);
    const hf = files.find((f) => f.path.endsWith('hf-model.safetensors'));
    expect(hf?.realPath).toBe(join(base, 'blobs', 'sha-abc'));
    expect(hf?.size).toBe(4);
    const a = files.find((f) => f.path.endsWith('a.safetensors'));
    expect(a?.realPath).toBe(join(models, 'loras', 'a.safetensors'));
    expect(a).toMatchObject({ size: join(models, 'loras', 'a.safetensors').length });
    expect(typeof a?.mtimeMs).toBe('number');
    expect(warnings.map((w) => [w.code, relative(base, w.path)]).sort()).toEqual([
      ['BROKEN_SYMLINK', 'models/loras/dangling.safetensors'],
      ['ROOT_MISSING', 'not-mounted'],
      ['SYMLINK_LOOP', 'models/loras/ping'],
      ['SYMLINK_LOOP', 'models/loras/pong'],
    ]);
  });

  it('reports a file reachable from two roots under the first root given', async () => {
    const { files } = await collect([extra, models], { ownDirs: [join(models, '.staging')] });
    expect(rel(files).filter((p) => p.endsWith('c.CKPT'))).toEqual(['extra/shared-checkpoints/deep/er/c.CKPT']);
    expect(files.find((f) => f.path.endsWith('c.CKPT'))?.realPath).toBe(join(models, 'checkpoints', 'deep', 'er', 'c.CKPT'));
    expect(files).toHaveLength(6);
  });

  it('enters our own staging folder only when it is not declared as ours', async () => {
    const { files } = await collect([models]);
    expect(rel(files)).toContain('models/.staging/downloading.safetensors');
  });

  it('stops with the abort reason when the signal fires', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const walking = (async () => {
      for await (const file of walkModelFiles([models], { extensions: MODEL_FILE_EXTENSIONS, signal: controller.signal })) {
        seen.push(file.path);
        controller.abort(new Error('stop'));
      }
    })();
    await expect(walking).rejects.toThrow('stop');
    expect(seen).toHaveLength(1);
  });

  it('skips an unreadable folder with a warning and goes on', async () => {
    const locked = join(models, 'locked');
    await mkdir(locked);
    await writeFile(join(locked, 'hidden.safetensors'), 'x');
    await chmod(locked, 0o000);
    try {
      // As root, permission bits do not stop reads; walking with an unprivileged effective uid makes them count.
      const asRoot = process.getuid?.() === 0 && typeof process.seteuid === 'function';
      const stillReadable = !asRoot && (await readdir(locked).then(() => true, () => false));
      if (stillReadable) {
        console.warn('skipped: permission bits are not enforced for this user');
        return;
      }
      if (asRoot) {
        await chmod(base, 0o755);
        process.seteuid?.(65534);
      }
      let result: Awaited<ReturnType<typeof collect>>;
      try {
        result = await collect([models], { ownDirs: [join(models, '.staging')] });
      } finally {
        if (asRoot) process.seteuid?.(0);
      }
      expect(result.warnings.filter((w) => w.code === 'DIR_UNREADABLE').map((w) => w.path)).toEqual([locked]);
      expect(rel(result.files)).not.toContain('models/locked/hidden.safetensors');
      expect(rel(result.files)).toContain('models/unet/flux.GGUF');
    } finally {
      await chmod(locked, 0o755);
      await rm(locked, { recursive: true });
    }
  });
});
