import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODEL_FILE_EXTENSIONS } from '../../src/handlers/scan/walk.js';
import { followModelMove } from '../../src/sidecar/companions.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-companions-'));
  await mkdir(join(dir, 'a'));
  await mkdir(join(dir, 'b'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const put = (path: string, text = 'x') => writeFile(join(dir, path), text);
const sidecar = (path: string) => JSON.stringify({ file_path: join(dir, path), file_name: 'm', notes: 'mine', preview_url: join(dir, path.replace('.safetensors', '.webm')) });

describe('followModelMove', () => {
  it('moves every kind of companion, other tools\' sidecars and video previews included, and relinks the sidecar', async () => {
    for (const name of ['m.safetensors', 'm.webm', 'm.civitai.info', 'm.cm-info.json', 'm.preview.gif']) await put(`a/${name}`);
    await put('a/m.metadata.json', sidecar('a/m.safetensors'));
    await put('a/other.metadata.json');
    await rename(join(dir, 'a/m.safetensors'), join(dir, 'b/m.safetensors'));
    const moved = await followModelMove(join(dir, 'a/m.safetensors'), join(dir, 'b/m.safetensors'), MODEL_FILE_EXTENSIONS);
    expect(moved.map((m) => m.to.slice(dir.length)).sort()).toEqual(['/b/m.civitai.info', '/b/m.cm-info.json', '/b/m.metadata.json', '/b/m.preview.gif', '/b/m.webm']);
    expect(await readdir(join(dir, 'a'))).toEqual(['other.metadata.json']);
    expect(JSON.parse(await readFile(join(dir, 'b/m.metadata.json'), 'utf8'))).toEqual({ file_path: join(dir, 'b/m.safetensors'), file_name: 'm', notes: 'mine', preview_url: join(dir, 'b/m.webm') });
  });

  it('leaves companions that another model file with the same stem still uses', async () => {
    await put('a/m.safetensors');
    await put('a/m.ckpt');
    await put('a/m.metadata.json', sidecar('a/m.ckpt'));
    await rename(join(dir, 'a/m.safetensors'), join(dir, 'b/m.safetensors'));
    expect(await followModelMove(join(dir, 'a/m.safetensors'), join(dir, 'b/m.safetensors'), MODEL_FILE_EXTENSIONS)).toEqual([]);
    expect((await readdir(join(dir, 'a'))).sort()).toEqual(['m.ckpt', 'm.metadata.json']);
  });

  it('never overwrites a companion already at the new place', async () => {
    await put('a/m.metadata.json', sidecar('a/m.safetensors'));
    await put('b/m.safetensors');
    await put('b/m.metadata.json', JSON.stringify({ notes: 'the one beside it wins' }));
    expect(await followModelMove(join(dir, 'a/m.safetensors'), join(dir, 'b/m.safetensors'), MODEL_FILE_EXTENSIONS)).toEqual([]);
    expect(await readdir(join(dir, 'a'))).toEqual(['m.metadata.json']);
    expect(JSON.parse(await readFile(join(dir, 'b/m.metadata.json'), 'utf8'))).toMatchObject({ notes: 'the one beside it wins', file_path: join(dir, 'b/m.safetensors') });
  });
});
