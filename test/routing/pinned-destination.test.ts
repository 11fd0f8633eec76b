import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildModelRoots } from '../../src/routing/destinations.js';
import { parseExtraModelPaths } from '../../src/routing/extra-model-paths.js';
import { comfyLookupName, folderSearchDirs, normalizePinnedTarget, pinnedDestination } from '../../src/routing/pinned-destination.js';
import { isInside } from '../../src/lib/paths.js';

const models = '/comfy/models';
const roots = buildModelRoots({ modelsDir: models });

describe('a pinned destination', () => {
  it('is <directory>/<name> in the first folder ComfyUI searches for the key, subfolders kept', () => {
    expect(pinnedDestination({ roots, modelsDir: models }, { directory: 'loras', name: 'flux/detail-tweaker.safetensors' })._unsafeUnwrap())
      .toEqual({ path: '/comfy/models/loras/flux/detail-tweaker.safetensors', folder: 'loras', name: 'flux/detail-tweaker.safetensors', renamed: false });
    // Legacy keys are ComfyUI's names for the same folders; the user's tree decides which directory name is used.
    expect(pinnedDestination({ roots, modelsDir: models }, { directory: 'unet', name: 'flux1-dev.safetensors' })._unsafeUnwrap().path).toBe('/comfy/models/unet/flux1-dev.safetensors');
    expect(pinnedDestination({ roots, modelsDir: models, aliases: { diffusion_models: 'diffusion_models' } }, { directory: 'unet', name: 'a.safetensors' })._unsafeUnwrap())
      .toMatchObject({ path: '/comfy/models/diffusion_models/a.safetensors', folder: 'diffusion_models' });
  });

  it('follows an is_default folder of extra_model_paths.yaml, and the configured root', () => {
    const yaml = parseExtraModelPaths('big:\n  base_path: /big\n  is_default: true\n  loras: lora-collection\nsmall:\n  base_path: /small\n  vae: vae\n', { yamlDir: '/comfy', home: '/home/u', env: {} })._unsafeUnwrap();
    const withYaml = buildModelRoots({ modelsDir: models, extra: yaml.sections });
    expect(pinnedDestination({ roots: withYaml, modelsDir: models }, { directory: 'loras', name: 'x.safetensors' })._unsafeUnwrap().path).toBe('/big/lora-collection/x.safetensors');
    expect(pinnedDestination({ roots: withYaml, modelsDir: models, preferredRoot: 'small' }, { directory: 'vae', name: 'ae.safetensors' })._unsafeUnwrap().path).toBe('/small/vae/ae.safetensors');
  });

  it('gives a custom node\'s folder the place the node registers, <models>/<key>', () => {
    expect(folderSearchDirs(roots, 'pulid', models).map((d) => d.path)).toEqual(['/comfy/models/pulid']);
    expect(pinnedDestination({ roots, modelsDir: models }, { directory: 'ultralytics/bbox', name: 'face_yolov8m.pt' })._unsafeUnwrap().path).toBe('/comfy/models/ultralytics/bbox/face_yolov8m.pt');
    expect(folderSearchDirs(roots, 'pulid', null)).toEqual([]);
  });

  it('reads the name as ComfyUI does: `..` cannot climb out of the folder', () => {
    expect(comfyLookupName('../../etc/passwd')).toBe('etc/passwd');
    expect(comfyLookupName('/abs/x.safetensors')).toBe('abs/x.safetensors');
    expect(comfyLookupName('a/./b//c.safetensors')).toBe('a/b/c.safetensors');
    expect(pinnedDestination({ roots, modelsDir: models }, { directory: 'loras', name: '../../../x.safetensors' })._unsafeUnwrap().path).toBe('/comfy/models/loras/x.safetensors');
  });

  it('sanitises the name like every file name, and says when that changed it', () => {
    const windows = pinnedDestination({ roots, modelsDir: models }, { directory: 'checkpoints', name: 'SDXL\\juggernaut:v9?.safetensors' })._unsafeUnwrap();
    expect(windows).toMatchObject({ path: '/comfy/models/checkpoints/SDXL/juggernaut_v9_.safetensors', renamed: true });
    expect(pinnedDestination({ roots, modelsDir: models }, { directory: 'loras', name: '.hidden.safetensors' })._unsafeUnwrap().renamed).toBe(true);
  });

  it('refuses folder keys that are no model folder or could leave the tree, and names that name nothing', () => {
    for (const directory of ['..', 'loras/../..', 'custom_nodes', '', '.git', 'a\\b']) {
      expect(normalizePinnedTarget({ directory, name: 'x.safetensors' })._unsafeUnwrapErr().code).toBe('TARGET_INVALID');
    }
    expect(normalizePinnedTarget({ directory: 'loras', name: '../' })._unsafeUnwrapErr().message).toContain('names no file');
    expect(normalizePinnedTarget({ directory: 'clip', name: 'sub/../t5.safetensors' })._unsafeUnwrap()).toEqual({ directory: 'text_encoders', name: 't5.safetensors' });
  });

  it('never leaves the folder, whatever the name', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', '', 'a', '\\', '/', 'b.safetensors', '\u0000', ' '), { maxLength: 12 }).map((parts) => parts.join('/')), (name) => {
        const dest = pinnedDestination({ roots, modelsDir: models }, { directory: 'loras', name });
        if (dest.isOk()) {
          expect(isInside(dest.value.path, '/comfy/models/loras')).toBe(true);
          expect(dest.value.path).not.toBe('/comfy/models/loras');
        }
      }),
    );
  });
});
