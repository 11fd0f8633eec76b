import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildModelRoots, destinationPath, parseTemplate, pickModelDir } from '../../src/routing/destinations.js';
import { detectFolderAliases, loadModelRoots, readExtraModelPaths } from '../../src/routing/destinations-io.js';
import { parseExtraModelPaths } from '../../src/routing/extra-model-paths.js';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'comfyui-dl-dest-')));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('detectFolderAliases', () => {
  it('writes into the legacy folder name when the user tree has only that one', async () => {
    const models = join(dir, 'models');
    await mkdir(join(models, 'diffusion_models'), { recursive: true });
    await mkdir(join(models, 'text_encoders'), { recursive: true });
    await mkdir(join(models, 'clip'), { recursive: true });
    const aliases = await detectFolderAliases(models);
    expect(aliases).toEqual({ diffusion_models: 'diffusion_models', text_encoders: 'text_encoders' });
    const roots = buildModelRoots({ modelsDir: models });
    expect(pickModelDir(roots, 'diffusion_models', null, aliases)?.path).toBe(join(models, 'diffusion_models'));
    expect(pickModelDir(roots, 'text_encoders', null, aliases)?.path).toBe(join(models, 'text_encoders'));
    expect(pickModelDir(roots, 'loras', null, aliases)?.path).toBe(join(models, 'loras'));
  });

  it('takes the first folder ComfyUI searches on a fresh tree, and keeps its order for searching', async () => {
    const models = join(dir, 'models');
    const roots = buildModelRoots({ modelsDir: models });
    expect(roots.get('diffusion_models')?.map((d) => d.path)).toEqual([join(models, 'unet'), join(models, 'diffusion_models')]);
    expect(pickModelDir(roots, 'diffusion_models', null, await detectFolderAliases(models))?.path).toBe(join(models, 'unet'));
  });

  it('never lets an alias of the models folder override an is_default folder of the yaml', async () => {
    const models = join(dir, 'models');
    await mkdir(join(models, 'diffusion_models'), { recursive: true });
    const yaml = parseExtraModelPaths('big:\n  base_path: /big\n  is_default: true\n  unet: flux\n', { yamlDir: dir, home: dir, env: {} })._unsafeUnwrap();
    const roots = buildModelRoots({ modelsDir: models, extra: yaml.sections });
    expect(pickModelDir(roots, 'diffusion_models', null, await detectFolderAliases(models))?.path).toBe('/big/flux');
  });
});

describe('reading extra_model_paths.yaml from disk', () => {
  it('resolves relative paths against its folder and reports a missing file', async () => {
    const path = join(dir, 'extra_model_paths.yaml');
    await writeFile(path, 'shared:\n  loras: shared/loras\n');
    const parsed = (await readExtraModelPaths(path))._unsafeUnwrap();
    expect(parsed.sections[0]?.paths.map((p) => p.path)).toEqual([join(dir, 'shared/loras')]);
    expect((await readExtraModelPaths(join(dir, 'missing.yaml')))._unsafeUnwrapErr().code).toBe('EXTRA_PATHS_INVALID');
  });

  it('loads the roots from the yaml beside the models folder, and warns about a broken one instead of failing', async () => {
    const models = join(dir, 'models');
    await writeFile(join(dir, 'extra_model_paths.yaml'), 'shared:\n  loras: shared/loras\n');
    const loaded = await loadModelRoots({ modelsDir: models });
    expect(loaded.roots.get('loras')?.map((d) => d.path)).toEqual([join(models, 'loras'), join(dir, 'shared/loras')]);
    await writeFile(join(dir, 'extra_model_paths.yaml'), 'shared: [');
    const broken = await loadModelRoots({ modelsDir: models });
    expect(broken.roots.get('loras')?.map((d) => d.path)).toEqual([join(models, 'loras')]);
    expect(broken.warnings[0]).toMatch(/^ignoring .*extra_model_paths\.yaml: .*not valid YAML/);
  });
});

describe('destinationPath', () => {
  const roots = buildModelRoots({ modelsDir: '/comfy/models' });
  const values = { baseModel: 'SDXL 1.0', type: 'LORA', modelName: 'My LoRA', versionName: 'v2', modelId: 12, versionId: 34, fileName: 'my_lora.safetensors' };

  it('uses {folder}/{baseModel}/{fileName} by default', () => {
    const destination = destinationPath({ folder: 'loras', roots, values })._unsafeUnwrap();
    expect(destination).toMatchObject({
      path: '/comfy/models/loras/SDXL 1.0/my_lora.safetensors',
      directory: '/comfy/models/loras/SDXL 1.0',
      relativePath: 'SDXL 1.0/my_lora.safetensors',
    });
  });

  it('fills every placeholder and drops segments whose value is missing', () => {
    const template = '{folder}/{type}/{modelName} ({modelId})/{versionName}-{versionId}/{fileName}';
    expect(destinationPath({ folder: 'loras', roots, values, template })._unsafeUnwrap().relativePath).toBe('LORA/My LoRA (12)/v2-34/my_lora.safetensors');
    expect(destinationPath({ folder: 'loras', roots, values: { fileName: 'a.safetensors', baseModel: null } })._unsafeUnwrap().relativePath).toBe('a.safetensors');
  });

  it('rejects templates that could misplace files', () => {
    for (const template of ['{baseModel}/{fileName}', '{folder}/{fileName}/..', '{folder}/../{fileName}', '{folder}//{fileName}', '{folder}/{oops}/{fileName}', '{folder}/{baseModel}', '{folder}/{folder}/{fileName}']) {
      expect(parseTemplate(template).isErr(), template).toBe(true);
    }
  });

  it('reports a folder with no model directory', () => {
    expect(destinationPath({ folder: 'loras', roots: new Map(), values })._unsafeUnwrapErr().code).toBe('NO_MODEL_DIR');
  });

  it('keeps hostile names inside the folder directory', () => {
    const hostile = fc.record({
      baseModel: fc.oneof(fc.constantFrom('..', '../..', '/etc', '.', '', 'a/../../b', '\\..\\..'), fc.string({ unit: 'binary', maxLength: 80 })),
      modelName: fc.oneof(fc.constantFrom('..', '~', '$HOME', '../../.ssh'), fc.string({ unit: 'binary', maxLength: 300 })),
      fileName: fc.oneof(fc.constantFrom('../../.bashrc', '/etc/passwd', '..', ''), fc.string({ unit: 'binary', maxLength: 300 })),
    });
    fc.assert(fc.property(hostile, (v) => {
      const destination = destinationPath({ folder: 'loras', roots, values: v, template: '{folder}/{baseModel}/{modelName}/{fileName}' })._unsafeUnwrap();
      const inside = relative('/comfy/models/loras', destination.path);
      expect(inside.startsWith('..')).toBe(false);
      expect(inside).not.toBe('');
      expect(destination.path.split('/').every((part) => part !== '.' && part !== '..')).toBe(true);
      expect(destination.relativePath.split('/').length).toBeLessThanOrEqual(3);
    }), { numRuns: 300 });
  });
});

describe('long file names', () => {
  it('leave room for a collision suffix and the sidecar names', () => {
    const roots = buildModelRoots({ modelsDir: '/comfy/models' });
    const fileName = `${'ü'.repeat(200)}.safetensors`;
    const destination = destinationPath({ folder: 'loras', roots, values: { fileName } })._unsafeUnwrap();
    const name = destination.relativePath.split('/').at(-1) ?? '';
    const stem = name.slice(0, -'.safetensors'.length);
    expect(Buffer.byteLength(`${stem}_0123abcd.metadata.json`)).toBeLessThanOrEqual(255);
    expect(name.endsWith('.safetensors')).toBe(true);
  });
});
