// extra_model_paths.yaml read as ComfyUI reads it. The expected lists follow ComfyUI's utils/extra_config.py and
// folder_paths.add_model_folder_path rule by rule (and were checked against PyYAML on the same files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModelRoots, modelSearchDirs, pickModelDir } from '../../src/routing/destinations.js';
import { parseExtraModelPaths, pythonTruthy, type PathEnvironment } from '../../src/routing/extra-model-paths.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'extra-model-paths', name), 'utf8');
const where: PathEnvironment = { yamlDir: '/srv/comfy', home: '/home/user', env: { NAS_ROOT: '/mnt/nas', SHARE: 'models' } };
const MODELS = '/opt/ComfyUI/models';

function rootsOf(yaml: string) {
  const parsed = parseExtraModelPaths(yaml, where)._unsafeUnwrap();
  const roots = buildModelRoots({ modelsDir: MODELS, extra: parsed.sections });
  return { parsed, roots, paths: (folder: string) => roots.get(folder)?.map((d) => d.path) };
}

describe("ComfyUI's own folders", () => {
  it('lists its default folders, legacy names included, in its order', () => {
    const roots = buildModelRoots({ modelsDir: MODELS });
    expect([...roots.keys()].slice(0, 25)).toEqual([
      'checkpoints', 'configs', 'loras', 'vae', 'text_encoders', 'diffusion_models', 'clip_vision', 'style_models', 'embeddings',
      'diffusers', 'vae_approx', 'controlnet', 'gligen', 'upscale_models', 'latent_upscale_models', 'hypernetworks', 'photomaker',
      'classifiers', 'model_patches', 'audio_encoders', 'background_removal', 'frame_interpolation', 'geometry_estimation',
      'optical_flow', 'detection',
    ]);
    expect(roots.get('diffusion_models')?.map((d) => d.path)).toEqual([`${MODELS}/unet`, `${MODELS}/diffusion_models`]);
    expect(roots.get('text_encoders')?.map((d) => d.path)).toEqual([`${MODELS}/text_encoders`, `${MODELS}/clip`]);
    expect(roots.get('controlnet')?.map((d) => d.path)).toEqual([`${MODELS}/controlnet`, `${MODELS}/t2i_adapter`]);
  });
});

describe('the example file, as ComfyUI ships it', () => {
  const { parsed, paths } = rootsOf(fixture('example.yaml'));
  const a111 = '/srv/comfy/path/to/stable-diffusion-webui';

  it('reads the one active section, its relative base path against the yaml folder, and skips the commented ones', () => {
    expect(parsed.sections.map((s) => [s.name, s.basePath, s.isDefault])).toEqual([['a111', a111, false]]);
    expect(parsed.warnings).toEqual([]);
  });

  it('appends its folders after ComfyUI’s own, one per line of a block value', () => {
    expect(paths('checkpoints')).toEqual([`${MODELS}/checkpoints`, `${a111}/models/Stable-diffusion`]);
    expect(paths('configs')).toEqual([`${MODELS}/configs`, `${a111}/models/Stable-diffusion`]);
    expect(paths('loras')).toEqual([`${MODELS}/loras`, `${a111}/models/Lora`, `${a111}/models/LyCORIS`]);
    expect(paths('upscale_models')).toEqual([`${MODELS}/upscale_models`, `${a111}/models/ESRGAN`, `${a111}/models/RealESRGAN`, `${a111}/models/SwinIR`]);
    expect(paths('embeddings')).toEqual([`${MODELS}/embeddings`, `${a111}/embeddings`]);
    expect(paths('controlnet')).toEqual([`${MODELS}/controlnet`, `${MODELS}/t2i_adapter`, `${a111}/models/ControlNet`]);
  });
});

describe('shared drives: is_default, ~ and $VARS, several paths per value, relative and absolute values', () => {
  const { parsed, roots, paths } = rootsOf(fixture('shared-drives.yaml'));

  it('expands ~ and $VARS in base_path only; other values are taken literally under it', () => {
    expect(parsed.sections.find((s) => s.name === 'comfyui')?.basePath).toBe('/home/user/ComfyUI');
    expect(parsed.sections.find((s) => s.name === 'nas')?.basePath).toBe('/mnt/nas/models');
    expect(paths('loras')).toEqual([
      '/home/user/ComfyUI/models/loras',
      `${MODELS}/loras`,
      '/mnt/nas/models/loras',
      '/abs/loras',
      '/mnt/nas/models/$NOT_EXPANDED/loras',
      '/mnt/nas/models/~/not-expanded-either',
    ]);
  });

  it('puts is_default folders first, the last one read in front, as add_model_folder_path does', () => {
    expect(paths('checkpoints')).toEqual(['/home/user/ComfyUI/models/checkpoints', `${MODELS}/checkpoints`, '/mnt/off/checkpoints', '/srv/comfy/path/to/ui/models/checkpoints']);
    expect(paths('text_encoders')).toEqual(['/home/user/ComfyUI/models/clip', `${MODELS}/text_encoders`, `${MODELS}/clip`]);
    expect(paths('diffusion_models')).toEqual([
      '/home/user/ComfyUI/models/unet', '/home/user/ComfyUI/models/diffusion_models', `${MODELS}/unet`, `${MODELS}/diffusion_models`, '/mnt/nas/models/flux',
    ]);
    expect(roots.get('checkpoints')?.[0]).toMatchObject({ source: 'comfyui', isDefault: true, root: '/home/user/ComfyUI' });
  });

  it('resolves values of a section without base_path against the yaml folder, and keeps keys ComfyUI does not know', () => {
    expect(paths('vae')).toEqual([`${MODELS}/vae`, '/mnt/nas/models/vae', '/srv/shared/vae']);
    expect(paths('my_node_models')).toEqual(['/srv/comfy/extras']);
    expect(paths('custom_nodes')).toEqual(['/srv/comfy/path/to/ui/path/custom_nodes']);
  });

  it('scans every model folder once and never custom_nodes', () => {
    const dirs = modelSearchDirs(roots).map((d) => d.path);
    expect(dirs).toContain('/mnt/nas/models/flux');
    expect(dirs).toContain('/srv/comfy/extras');
    expect(dirs).not.toContain('/srv/comfy/path/to/ui/path/custom_nodes');
    expect(new Set(dirs).size).toBe(dirs.length);
  });

  it('sends a download to the first folder ComfyUI searches: the is_default one, else its own', () => {
    expect(pickModelDir(roots, 'loras')?.path).toBe('/home/user/ComfyUI/models/loras');
    expect(pickModelDir(roots, 'vae')?.path).toBe(`${MODELS}/vae`);
    expect(pickModelDir(roots, 'vae', 'nas')?.path).toBe('/mnt/nas/models/vae');
    expect(pickModelDir(roots, 'custom_nodes')).toBeUndefined();
  });
});

describe('is_default follows YAML 1.1 and Python truthiness', () => {
  const isDefault = (value: string) =>
    parseExtraModelPaths(`s:\n  is_default: ${value}\n  loras: x\n`, where)._unsafeUnwrap().sections[0]?.isDefault;

  it.each([
    ['true', true], ['yes', true], ['On', true], ['1', true], ['"false"', true], ['n', true], ['y', true],
    ['false', false], ['no', false], ['OFF', false], ['0', false], ['""', false], ['~', false], ['[]', false],
  ])('is_default: %s → %s', (value, expected) => {
    expect(isDefault(value)).toBe(expected);
  });

  it('matches Python for collections and numbers', () => {
    expect([pythonTruthy({}), pythonTruthy({ a: 1 }), pythonTruthy(0.0), pythonTruthy(0.5), pythonTruthy(null)]).toEqual([false, true, false, true, false]);
  });
});

describe('what ComfyUI would choke on', () => {
  it('skips a section whose base_path is not text and a value that is not a path, saying why', () => {
    const parsed = parseExtraModelPaths('a:\n  base_path: 12\n  loras: x\nb:\n  loras: [x, y]\n  vae: v\nc: text\n', where)._unsafeUnwrap();
    expect(parsed.sections.map((s) => [s.name, s.paths.map((p) => p.path)])).toEqual([['b', ['/srv/comfy/v']]]);
    expect(parsed.warnings).toEqual([
      'section "a": base_path is not text; the section is skipped',
      'section "b": "loras" is not a path or lines of paths; skipped',
      'section "c" is not a mapping; skipped',
    ]);
  });

  it('refuses YAML that is broken or not a mapping; an empty file has no sections', () => {
    expect(parseExtraModelPaths('a: [', where)._unsafeUnwrapErr().code).toBe('EXTRA_PATHS_INVALID');
    expect(parseExtraModelPaths('- a\n- b', where)._unsafeUnwrapErr().code).toBe('EXTRA_PATHS_INVALID');
    expect(parseExtraModelPaths('', where)._unsafeUnwrap().sections).toEqual([]);
  });

  it('takes duplicate keys and merge keys as PyYAML does', () => {
    const parsed = parseExtraModelPaths('base: &b\n  vae: one\ns:\n  <<: *b\n  loras: a\n  loras: b\n', where)._unsafeUnwrap();
    expect(parsed.sections.find((s) => s.name === 's')?.paths.map((p) => [p.key, p.path])).toEqual([['vae', '/srv/comfy/one'], ['loras', '/srv/comfy/b']]);
  });
});
