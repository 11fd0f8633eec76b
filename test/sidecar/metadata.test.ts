import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import type { RouteDecision } from '../../src/routing/decide.js';
import { buildSidecar, mergeSidecar, normalizeSha256, type SidecarInput } from '../../src/sidecar/metadata.js';

const route: RouteDecision = {
  folder: 'loras', kind: 'lora', architecture: 'flux1', baseModel: 'Flux.1 D', declaredType: 'LORA',
  signals: ['96 adapter tensors (LoRA)'], reason: 'The header shows a flux1 LoRA, as CivitAI\'s type "LORA" says: loras.',
  confidence: 'high', flagged: null, recheckHash: false,
};

let version: Record<string, unknown>;
let model: Record<string, unknown>;
let input: SidecarInput;
const civitaiFixture = async (name: string) => JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'civitai', name), 'utf8')) as Record<string, unknown>;
beforeAll(async () => {
  version = await civitaiFixture('model-version-1387174.json');
  model = await civitaiFixture('model-1231067.json');
  input = {
    filePath: '/models/loras/Flux.1 D/pp-storybook_rank2_bf16.safetensors',
    size: 19_281_048,
    importedAt: new Date('2025-03-01T12:00:00Z'),
    sha256: '9753338AB693CA82BF89ED77A5D1912879E40051463EC6E330FB9866CE798668',
    version,
    model: { ...model, tags: ['style', { name: 'storybook' }, 'style'], description: '<p>desc</p>' },
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
    expect(sidecar.civitai).toMatchObject({ id: version.id, files: version.files, images: version.images, trainedWords: ['ppstorybook'] });
  });

  it('carries the model-level data where Lora-Manager reads it: tags, description, creator and license in civitai.model', async () => {
    const sidecar = buildSidecar({ ...input, model: await civitaiFixture('model-1231067.json') });
    expect(sidecar.tags).toEqual(['style', 'illustration', 'storybook']);
    expect(sidecar.modelDescription).toBe(model.description);
    expect(sidecar.civitai.creator).toEqual(model.creator);
    expect(sidecar.civitai.model).toEqual({
      name: 'Vivid Impressions Storybook Style', type: 'LORA', nsfw: false, poi: false, description: model.description,
      tags: ['style', 'illustration', 'storybook'], allowNoCredit: true, allowCommercialUse: ['Image', 'RentCivit', 'Rent', 'Sell'],
      allowDerivatives: true, allowDifferentLicense: true,
    });
    expect(sidecar.civitai.trainedWords).toEqual(['ppstorybook']);
  });

  it('writes the version alone when the model is not known, with trainedWords always a list', () => {
    const { trainedWords: _dropped, ...bare } = version;
    const sidecar = buildSidecar({ ...input, version: bare, model: null });
    expect(sidecar).toMatchObject({ tags: [], modelDescription: '' });
    expect(sidecar.civitai).toMatchObject({ model: version.model, trainedWords: [] });
    expect(sidecar.civitai.creator).toBeUndefined();
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
    expect(merged.tags).toEqual(['mine']);
  });

  it('replaces a default model name (the file stem) by CivitAI\'s, and fills empty tags, description and usage tips', () => {
    const merged = mergeSidecar({ model_name: 'pp-storybook_rank2_bf16', file_name: 'pp-storybook_rank2_bf16', tags: [], modelDescription: '', usage_tips: '{}' }, buildSidecar(input));
    expect(merged).toMatchObject({ model_name: 'Vivid Impressions Storybook Style', tags: ['style', 'storybook'], modelDescription: '<p>desc</p>', usage_tips: '{}' });
  });

  it('never lets worse data win: empty civitai, unknown hash, unknown base model, no preview', () => {
    const known = mergeSidecar(null, buildSidecar(input));
    const poorer = buildSidecar({ ...input, version: null, model: null, sha256: null, preview: null, route: { ...route, baseModel: null }, importedAt: new Date('2026-01-01T00:00:00Z') });
    const merged = mergeSidecar(known, poorer);
    expect(merged.civitai).toEqual(known.civitai);
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

  it('keeps every value of a sidecar Lora-Manager and its user edited, drops no key, and fills only what it lacks', async () => {
    const text = await readFile(join(import.meta.dirname, '..', 'fixtures', 'sidecars', 'lora-manager-edited.metadata.json'), 'utf8');
    const existing = JSON.parse(text.replace('PREVIEW', '/models/loras/Flux.1 D/pp-storybook_rank2_bf16.mp4')) as Record<string, unknown>;
    const merged = mergeSidecar(existing, buildSidecar({ ...input, model }), { existingPreviewPresent: true });

    const unchanged = ['model_name', 'base_model', 'preview_url', 'preview_nsfw_level', 'notes', 'tags', 'modelDescription', 'favorite',
      'skip_metadata_refresh', 'metadata_source', 'last_checked_at', 'trainedWords', 'usage_tips', 'modified', 'sub_type', 'civitai_deleted'];
    for (const key of unchanged) expect(merged[key], key).toEqual(existing[key]);
    for (const key of Object.keys(existing)) expect(merged, key).toHaveProperty([key]);
    const civitai = merged.civitai as Record<string, unknown>;
    const held = existing.civitai as Record<string, unknown>;
    expect(civitai.model).toEqual(held.model);
    expect(civitai.creator).toEqual(held.creator);
    expect(civitai.trainedWords).toEqual(held.trainedWords);
    expect(civitai.customImages).toEqual(held.customImages);
    expect(civitai.name).toBe('v1.0');
    // What it lacked comes from CivitAI.
    expect(civitai.files).toEqual(version.files);
    expect(civitai.images).toEqual(version.images);
    expect(merged.comfyui_dl).toMatchObject({ modelId: 1231067, versionId: 1387174 });
  });

  it('fills the license, creator and description keys an older sidecar of the same version does not have', () => {
    const older = { civitai: { id: 1387174, modelId: 1231067, model: { name: 'x', type: 'LORA' }, trainedWords: [] }, tags: [], modelDescription: '' };
    const merged = mergeSidecar(older, buildSidecar({ ...input, model }));
    const civitai = merged.civitai as { model: Record<string, unknown>; creator: unknown; trainedWords: unknown };
    expect(civitai.model).toMatchObject({ name: 'x', type: 'LORA', description: model.description, allowNoCredit: true, allowDerivatives: true, allowDifferentLicense: true });
    expect(civitai.model.allowCommercialUse).toEqual(['Image', 'RentCivit', 'Rent', 'Sell']);
    expect(civitai.creator).toEqual(model.creator);
    expect(civitai.trainedWords).toEqual(['ppstorybook']);
    expect(merged.tags).toEqual(['style', 'illustration', 'storybook']);
  });

  it('points preview_url at our preview only when the one it names is gone', () => {
    const existing = { preview_url: '/models/loras/gone.webm', preview_nsfw_level: 4 };
    expect(mergeSidecar(existing, buildSidecar(input), { existingPreviewPresent: false })).toMatchObject({ preview_url: input.preview!.path, preview_nsfw_level: 1 });
    expect(mergeSidecar(existing, buildSidecar(input), { existingPreviewPresent: true })).toMatchObject({ preview_url: '/models/loras/gone.webm', preview_nsfw_level: 4 });
    expect(mergeSidecar(existing, buildSidecar({ ...input, preview: null }), { existingPreviewPresent: false })).toMatchObject({ preview_url: '/models/loras/gone.webm' });
    expect(mergeSidecar({ preview_url: '', preview_nsfw_level: 0 }, buildSidecar(input))).toMatchObject({ preview_url: input.preview!.path, preview_nsfw_level: 1 });
  });

  it('replaces a CivitAI block that names another version (it describes other bytes), keeping custom images', () => {
    const existing = { civitai: { id: 99, modelId: 1231067, name: 'old', customImages: [{ id: 1 }] }, notes: 'n' };
    const merged = mergeSidecar(existing, buildSidecar(input));
    expect(merged.civitai).toMatchObject({ id: 1387174, name: version.name, customImages: [{ id: 1 }] });
    expect(merged.notes).toBe('n');
  });

  it('updates measured facts: size, path, sha256 of the new bytes', () => {
    const existing = { size: 1, file_path: '/old/place.safetensors', sha256: 'a'.repeat(64) };
    const merged = mergeSidecar(existing, buildSidecar(input));
    expect(merged).toMatchObject({ size: 19_281_048, file_path: input.filePath, sha256: normalizeSha256(input.sha256) });
  });
});
