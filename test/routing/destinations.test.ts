import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildModelRoots, destinationPath, parseTemplate, pickModelDir } from '../../src/routing/destinations.js';
import { detectFolderAliases, readExtraModelPaths } from '../../src/routing/destinations-io.js';
import { parseExtraModelPaths } from '../../src/routing/extra-model-paths.js';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'comfyui-dl-dest-')));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = { yamlDir: '/srv/comfy', home: '/home/user', env: { MODELS: '/mnt/models' } };

describe('detectFolderAliases', () => {
  it('uses the legacy folder name when the user tree has only that one', async () => {
    const models = join(dir, 'models');
    await mkdir(join(models, 'unet'), { recursive: true });
    await mkdir(join(models, 'text_encoders'), { recursive: true });
    await mkdir(join(models, 'clip'), { recursive: true });
    const aliases = await detectFolderAliases(models);
    expect(aliases).toEqual({ diffusion_models: 'unet', text_encoders: 'text_encoders' });
    const roots = buildModelRoots({ modelsDir: models, aliases });
    expect(pickModelDir(roots, 'diffusion_models')?.path).toBe(join(models, 'unet'));
    expect(pickModelDir(roots, 'text_encoders')?.path).toBe(join(models, 'text_encoders'));
    expect(pickModelDir(roots, 'loras')?.path).toBe(join(models, 'loras'));
  });

  it('prefers the current name on a fresh tree', async () => {
    const roots = buildModelRoots({ modelsDir: join(dir, 'models'), aliases: await detectFolderAliases(join(dir, 'models')) });
    expect(roots.get('diffusion_models')?.map((d) => d.path)).toEqual([join(dir, 'models/diffusion_models'), join(dir, 'models/unet')]);
  });
});

describe('extra_model_paths.yaml', () => {
  const yaml = `
comfyui:
  base_path: ~/ComfyUI/
  is_default: true
  checkpoints: models/checkpoints/
  clip: models/clip/
  loras: |
    models/loras
    models/LyCORIS
a111:
  base_path: $MODELS/a1111
  checkpoints: models/Stable-diffusion
  unet: /abs/unet
  my_custom_nodes_folder: extras
no_base:
  vae: relative/vae
empty_section:
bad_section: just a string
`;

  it('reads sections, base paths, multi-line values, legacy keys and is_default', () => {
    const parsed = parseExtraModelPaths(yaml, env)._unsafeUnwrap();
    expect(parsed.sections.map((s) => s.name)).toEqual(['comfyui', 'a111', 'no_base']);
    const [comfy, a111, noBase] = parsed.sections;
    expect(comfy?.isDefault).toBe(true);
    expect(comfy?.folders.get('text_encoders')).toEqual(['/home/user/ComfyUI/models/clip']);
    expect(comfy?.folders.get('loras')).toEqual(['/home/user/ComfyUI/models/loras', '/home/user/ComfyUI/models/LyCORIS']);
    expect(a111?.folders.get('checkpoints')).toEqual(['/mnt/models/a1111/models/Stable-diffusion']);
    expect(a111?.folders.get('diffusion_models')).toEqual(['/abs/unet']);
    expect(a111?.folders.get('my_custom_nodes_folder')).toEqual(['/mnt/models/a1111/extras']);
    expect(noBase?.folders.get('vae')).toEqual(['/srv/comfy/relative/vae']);
    expect(parsed.warnings).toEqual(['section "bad_section" is not a mapping; skipped']);
  });

  it('orders dirs as ComfyUI does and writes into the is_default one, unless config picks a root', () => {
    const sections = parseExtraModelPaths(yaml, env)._unsafeUnwrap().sections;
    const roots = buildModelRoots({ modelsDir: '/opt/ComfyUI/models', extra: sections });
    expect(roots.get('checkpoints')?.map((d) => d.path)).toEqual([
      '/home/user/ComfyUI/models/checkpoints',
      '/opt/ComfyUI/models/checkpoints',
      '/mnt/models/a1111/models/Stable-diffusion',
    ]);
    expect(pickModelDir(roots, 'checkpoints')?.source).toBe('comfyui');
    expect(pickModelDir(roots, 'checkpoints', 'a111')?.path).toBe('/mnt/models/a1111/models/Stable-diffusion');
    expect(pickModelDir(roots, 'checkpoints', '/opt/ComfyUI/models')?.path).toBe('/opt/ComfyUI/models/checkpoints');
    expect(pickModelDir(roots, 'vae', 'nonexistent-root')?.path).toBe('/opt/ComfyUI/models/vae');
  });

  it('refuses YAML that is broken or not a mapping', () => {
    expect(parseExtraModelPaths('a: [', env)._unsafeUnwrapErr().code).toBe('EXTRA_PATHS_INVALID');
    expect(parseExtraModelPaths('- a\n- b', env)._unsafeUnwrapErr().code).toBe('EXTRA_PATHS_INVALID');
    expect(parseExtraModelPaths('', env)._unsafeUnwrap().sections).toEqual([]);
  });

  it('reads the file from disk, resolving relative paths against its folder', async () => {
    const path = join(dir, 'extra_model_paths.yaml');
    await writeFile(path, 'shared:\n  loras: shared/loras\n');
    const parsed = (await readExtraModelPaths(path))._unsafeUnwrap();
    expect(parsed.sections[0]?.folders.get('loras')).toEqual([join(dir, 'shared/loras')]);
    expect((await readExtraModelPaths(join(dir, 'missing.yaml')))._unsafeUnwrapErr().code).toBe('EXTRA_PATHS_INVALID');
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
