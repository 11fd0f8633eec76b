import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteDecision } from '../../src/routing/decide.js';
import { backUp, readSidecar, readSidecarIds, savePreview, writeJsonAtomic, writeModelSidecar } from '../../src/sidecar/sidecar-file.js';

const route: RouteDecision = {
  folder: 'checkpoints', kind: 'checkpoint', architecture: 'sdxl', baseModel: 'SDXL 1.0', declaredType: 'Checkpoint',
  signals: [], reason: 'The header shows a sdxl full checkpoint: checkpoints.', confidence: 'high', flagged: null, recheckHash: false,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-sidecar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const input = (filePath: string) => ({
  filePath, size: 10, importedAt: new Date('2025-01-01T00:00:00Z'), sha256: 'f'.repeat(64),
  version: { id: 9, modelId: 8, name: 'v1', baseModel: 'SDXL 1.0', model: { name: 'Model', type: 'Checkpoint' } },
  route, decidedAt: new Date('2025-01-01T00:00:01Z'),
});

describe('sidecar files', () => {
  it('writes atomically and leaves no temp file behind', async () => {
    const path = join(dir, 'a.metadata.json');
    await writeJsonAtomic(path, { a: 1 });
    await writeJsonAtomic(path, { a: 2 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ a: 2 });
    expect(await readdir(dir)).toEqual(['a.metadata.json']);
  });

  it('reads leniently: absent, valid, invalid', async () => {
    expect(await readSidecar(join(dir, 'none.json'))).toEqual({ kind: 'absent' });
    await writeFile(join(dir, 'ok.json'), '{"x": 1}');
    expect(await readSidecar(join(dir, 'ok.json'))).toEqual({ kind: 'valid', value: { x: 1 } });
    await writeFile(join(dir, 'bad.json'), '{"notes": "half a file');
    expect((await readSidecar(join(dir, 'bad.json'))).kind).toBe('invalid');
    await writeFile(join(dir, 'list.json'), '[1]');
    expect(await readSidecar(join(dir, 'list.json'))).toEqual({ kind: 'invalid', reason: 'not a JSON object' });
  });

  it('merges with an existing sidecar, keeping the user notes', async () => {
    const model = join(dir, 'sdxl.safetensors');
    await writeFile(join(dir, 'sdxl.metadata.json'), JSON.stringify({ notes: 'my notes', favorite: true }));
    const written = (await writeModelSidecar(input(model)))._unsafeUnwrap();
    expect(written.backupPath).toBeNull();
    const onDisk = JSON.parse(await readFile(written.path, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ notes: 'my notes', favorite: true, model_name: 'Model', sha256: 'f'.repeat(64), comfyui_dl: { versionId: 9 } });
  });

  it('keeps a .bak of an unreadable sidecar before replacing it', async () => {
    const model = join(dir, 'sdxl.safetensors');
    const broken = '{"notes": "precious", oops';
    await writeFile(join(dir, 'sdxl.metadata.json'), broken);
    const written = (await writeModelSidecar(input(model)))._unsafeUnwrap();
    expect(written.backupPath).toBe(join(dir, 'sdxl.metadata.json.bak'));
    expect(await readFile(join(dir, 'sdxl.metadata.json.bak'), 'utf8')).toBe(broken);
    expect((await readSidecar(written.path)).kind).toBe('valid');
    expect(await backUp(written.path)).toBe(join(dir, 'sdxl.metadata.json.bak.1'));
  });

  it('reports a folder it cannot write to', async () => {
    const result = await writeModelSidecar(input(join(dir, 'missing-folder', 'x.safetensors')));
    expect(result._unsafeUnwrapErr().code).toBe('SIDECAR_WRITE_FAILED');
  });

  it('collects identity from every sidecar present, ours first', async () => {
    const model = join(dir, 'lora.safetensors');
    await writeFile(join(dir, 'lora.cm-info.json'), JSON.stringify({ ModelId: 1, VersionId: 2, Hashes: { SHA256: 'A'.repeat(64) } }));
    await writeFile(join(dir, 'lora.civitai.info'), JSON.stringify({ id: 3, modelId: 4, files: [{ name: 'lora.safetensors', hashes: { SHA256: 'B'.repeat(64) } }] }));
    expect(await readSidecarIds(model)).toEqual({ sha256: 'a'.repeat(64), modelId: 1, versionId: 2 });
    await writeFile(join(dir, 'lora.metadata.json'), JSON.stringify({ sha256: 'c'.repeat(64), civitai: {} }));
    expect(await readSidecarIds(model)).toEqual({ sha256: 'c'.repeat(64), modelId: 1, versionId: 2 });
  });
});

describe('savePreview', () => {
  it('names the preview by its real format', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);
    const path = (await savePreview(join(dir, 'lora.safetensors'), png, 'image/jpeg'))._unsafeUnwrap();
    expect(path).toBe(join(dir, 'lora.preview.png'));
    expect(await readFile(path)).toEqual(png);
  });

  it('refuses a body that is not media, writing nothing', async () => {
    const result = await savePreview(join(dir, 'lora.safetensors'), Buffer.from('<html><body>Login required</body></html>'), 'text/html');
    expect(result._unsafeUnwrapErr().code).toBe('PREVIEW_NOT_MEDIA');
    expect(await readdir(dir)).toEqual([]);
  });
});
