import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/lib/project-root.js';
import type { RouteDecision } from '../../src/routing/decide.js';
import { buildSidecar, mergeSidecar, normalizeSha256, type SidecarInput } from '../../src/sidecar/metadata.js';

const route: RouteDecision = {
  folder: 'loras', kind: 'lora', architecture: 'flux1', baseModel: 'Flux.1 D', declaredType: 'LORA',
  signals: ['96 adapter tensors (LoRA)'], reason: 'The header shows a flux1 LoRA, as CivitAI\'s type "LORA" says: loras.',
  confidence: 'high', flagged: null, recheckHash: false,
};

let version: Record<string, unknown>;
let input: SidecarInput;
beforeAll(async () => {
  version = JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'civitai', 'model-version-1387174.json'), 'utf8')) as Record<string, unknown>;
  input = {
    filePath: '/models/loras/Flux.1 D/pp-storybook_rank2_bf16.safetensors',
    size: 19_281_048,
    importedAt: new Date('2025-03-01T12:00:00Z'),
    sha256: '9753338AB693CA82BF89ED77A5D1912879E40051463EC6E330FB9866CE798668',
    version,
    model: { tags: ['style', { name: 'storybook' }, 'style'], description: '<p>desc</p>' },
    preview: { path: '/models/loras/Flux.1 D/pp-storybook_rank2_bf16.preview.jpeg', nsfwLevel: 1 },
    route,
    decidedAt: new Date('2025-03-01T12:00:01Z'),
  };
});

describe('buildSidecar', () => {
  it('writes Lora-Manager fields and our placement provenance', () => {
    const sidecar = buildSidecar(input);
    expect(sidecar).toMatchObject({
      file_name: 'pp-storybook_rank2_bf16',
      model_name: 'Vivid Impressions Storybook Style',
      file_path: '/models/loras/Flux.1 D/pp-storybook_rank2_bf16.safetensors',
      size: 19_281_048,
      modified: Date.parse('2025-03-01T12:00:00Z') / 1000,
      sha256: '9753338ab693ca82bf89ed77a5d1912879e40051463ec6e330fb9866ce798668',
      base_model: 'Flux.1 D',
      preview_url: '/models/loras/Flux.1 D/pp-storybook_rank2_bf16.preview.jpeg',
      preview_nsfw_level: 1,
      from_civitai: true,
      tags: ['style', 'storybook'],
      modelDescription: '<p>desc</p>',
      sub_type: 'lora',
      hash_status: 'completed',
      notes: '',
      usage_tips: '{}',
      comfyui_dl: { schema: 1, modelId: 1231067, versionId: 1387174, placement: { folder: 'loras', declaredType: 'LORA', reason: route.reason, decidedAt: '2025-03-01T12:00:01.000Z' } },
    });
    expect(sidecar.civitai).toBe(version);
  });

  it('describes a local file without CivitAI data', () => {
    const sidecar = buildSidecar({ ...input, version: null, model: null, preview: null, sha256: null, filePath: 'C:\\m\\x.safetensors' });
    expect(sidecar).toMatchObject({ file_name: 'x', model_name: 'x', file_path: 'C:/m/x.safetensors', base_model: 'Flux.1 D', from_civitai: false, civitai: {}, sha256: '', hash_status: 'pending', preview_url: '' });
  });

  it('names the sub-type Lora-Manager expects per folder', () => {
    expect(buildSidecar({ ...input, route: { ...route, folder: 'diffusion_models', kind: 'diffusion_model' } }).sub_type).toBe('diffusion_model');
    expect(buildSidecar({ ...input, route: { ...route, folder: 'checkpoints', kind: 'checkpoint' } }).sub_type).toBe('checkpoint');
    expect(buildSidecar({ ...input, route: { ...route, declaredType: 'LoCon' } }).sub_type).toBe('locon');
  });

  it('treats the all-zero placeholder hash as no hash', () => {
    expect(normalizeSha256('0'.repeat(64))).toBe('');
    expect(normalizeSha256('abc')).toBe('');
  });
});

describe('mergeSidecar', () => {
  it('keeps unknown keys and user fields', () => {
    const existing = {
      notes: 'works best at 0.7', usage_tips: '{"strength": 0.7}', favorite: true, exclude: false, custom_field: { a: 1 },
      tags: ['mine'], model_name: 'My renamed LoRA', file_name: 'pp-storybook_rank2_bf16',
    };
    const merged = mergeSidecar(existing, buildSidecar(input));
    expect(merged).toMatchObject({ notes: 'works best at 0.7', usage_tips: '{"strength": 0.7}', favorite: true, custom_field: { a: 1 }, model_name: 'My renamed LoRA' });
    expect(merged.tags).toEqual(['mine', 'style', 'storybook']);
  });

  it('replaces a default model name (the file stem) by CivitAI\'s', () => {
    const merged = mergeSidecar({ model_name: 'pp-storybook_rank2_bf16', file_name: 'pp-storybook_rank2_bf16' }, buildSidecar(input));
    expect(merged.model_name).toBe('Vivid Impressions Storybook Style');
  });

  it('never lets worse data win: empty civitai, unknown hash, unknown base model, no preview', () => {
    const known = mergeSidecar(null, buildSidecar(input));
    const poorer = buildSidecar({ ...input, version: null, model: null, sha256: null, preview: null, route: { ...route, baseModel: null }, importedAt: new Date('2026-01-01T00:00:00Z') });
    const merged = mergeSidecar(known, poorer);
    expect(merged.civitai).toEqual(version);
    expect(merged.from_civitai).toBe(true);
    expect(merged.sha256).toBe(known.sha256);
    expect(merged.hash_status).toBe('completed');
    expect(merged.base_model).toBe('Flux.1 D');
    expect(merged.preview_url).toBe(known.preview_url);
    expect(merged.preview_nsfw_level).toBe(1);
    expect(merged.modelDescription).toBe('<p>desc</p>');
    expect(merged.modified).toBe(known.modified);
    expect(merged.comfyui_dl).toMatchObject({ modelId: 1231067, versionId: 1387174 });
  });

  it('takes fresh CivitAI data but keeps the user\'s custom images and trained words', () => {
    // As read back from disk: a copy, not the objects the fresh sidecar shares.
    const existing = structuredClone(mergeSidecar(null, buildSidecar(input)));
    (existing.civitai as Record<string, unknown>).customImages = [{ url: '', id: 1 }];
    (existing.civitai as Record<string, unknown>).trainedWords = ['my trigger'];
    const fresher = { ...version, name: 'v1.1' };
    const merged = mergeSidecar(existing, buildSidecar({ ...input, version: fresher }));
    expect(merged.civitai).toMatchObject({ name: 'v1.1', customImages: [{ url: '', id: 1 }], trainedWords: ['my trigger', 'ppstorybook'] });
  });

  it('updates measured facts: size, path, sha256 of the new bytes', () => {
    const existing = { size: 1, file_path: '/old/place.safetensors', sha256: 'a'.repeat(64) };
    const merged = mergeSidecar(existing, buildSidecar(input));
    expect(merged).toMatchObject({ size: 19_281_048, file_path: input.filePath, sha256: normalizeSha256(input.sha256) });
  });
});
