import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkflowModels, type WorkflowModel } from '../../src/workflow/models.js';
import { readPngText } from '../../src/workflow/png-text.js';
import { readWorkflow, type ReadWorkflow } from '../../src/workflow/read.js';
import { classifyModelUrl } from '../../src/workflow/url-kind.js';
import { pngWithText } from './png-writer.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'workflows', name));
const read = (bytes: Buffer): ReadWorkflow => readWorkflow(bytes)._unsafeUnwrap();
const byName = (models: readonly WorkflowModel[], name: string): WorkflowModel | undefined => models.find((model) => model.name === name);
const summary = (models: readonly WorkflowModel[]) =>
  models.map((m) => [m.directory, m.name, m.urlKind.kind, m.usedBy.map((u) => `${u.nodeId}:${u.input}${u.active ? '' : ' (off)'}`).join(' ')]).sort((a, b) => (String(a[1]) < String(b[1]) ? -1 : 1));

/** The API prompt ComfyUI would run for flux-dev-template.json. */
const FLUX_PROMPT = {
  '10': { class_type: 'UNETLoader', inputs: { unet_name: 'flux1-dev-sim.safetensors', weight_dtype: 'default' } },
  '11': { class_type: 'DualCLIPLoader', inputs: { clip_name1: 'clip_l.safetensors', clip_name2: 't5xxl fp8 (scaled).safetensors', type: 'flux', device: 'default' } },
  '12': { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } },
  '4': { class_type: 'LoraLoaderModelOnly', inputs: { lora_name: 'flux/detail-tweaker-sim.safetensors', strength_model: 0.8, model: ['10', 0] } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a red fox in the snow, embedding:film-grain-sim, highly detailed', clip: ['11', 0] } },
  '9': { class_type: 'PulidFluxModelLoader', inputs: { pulid_file: 'pulid_flux_v0.9.1.safetensors' } },
};

describe('a template-style UI workflow with a models list', () => {
  const { models, warnings } = listWorkflowModels(read(fixture('flux-dev-template.json')));

  it('lists every model file with its folder, the nodes that need it and the kind of its URL', () => {
    expect(summary(models)).toEqual([
      ['upscale_models', '4x-UltraSharp.pth', 'none', '7:model_name (off)'],
      ['vae', 'ae.safetensors', 'huggingface', '12:vae_name'],
      ['text_encoders', 'clip_l.safetensors', 'huggingface', '11:clip_name1'],
      ['embeddings', 'film-grain-sim', 'none', '6:text'],
      ['loras', 'flux/detail-tweaker-sim.safetensors', 'civitai', '4:lora_name'],
      ['diffusion_models', 'flux1-dev-sim.safetensors', 'huggingface', '10:unet_name'],
      ['pulid', 'pulid_flux_v0.9.1.safetensors', 'other', '9:widgets_values[0]'],
      ['text_encoders', 't5xxl fp8 (scaled).safetensors', 'huggingface', '11:clip_name2'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('keeps URLs, hashes and parsed references from the models lists', () => {
    const lora = byName(models, 'flux/detail-tweaker-sim.safetensors');
    expect(lora).toMatchObject({ url: 'https://civitai.com/api/download/models/130072', hashType: 'sha256', urlKind: { kind: 'civitai', ref: { kind: 'version', versionId: 130072 } } });
    expect(lora?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(byName(models, 't5xxl fp8 (scaled).safetensors')?.urlKind).toEqual({
      kind: 'huggingface',
      ref: { repo: 'sim-labs/text-encoders-sim', revision: 'main', path: 'text_encoders/t5xxl fp8 (scaled).safetensors' },
    });
    expect(byName(models, 'film-grain-sim')).toMatchObject({ extensionOptional: true });
    expect(byName(models, 'flux1-dev-sim.safetensors')?.usedBy).toEqual([
      { nodeId: '10', nodeType: 'UNETLoader', input: 'unet_name', active: true },
    ]);
  });

  it('reads URLs on HF_ENDPOINT\'s host as Hugging Face ones and the configured CivitAI host as CivitAI\'s', () => {
    expect(classifyModelUrl('http://127.0.0.1:8000/o/r/resolve/main/x.safetensors', { hfEndpoint: 'http://127.0.0.1:8000' }).kind).toBe('huggingface');
    expect(classifyModelUrl('http://127.0.0.1:9000/api/download/models/5', { civitaiBaseUrl: 'http://127.0.0.1:9000' }).kind).toBe('civitai');
    expect(classifyModelUrl('https://huggingface.co/o/r').kind).toBe('other');
    expect(classifyModelUrl('urn:air:sdxl:lora:civitai:1@2').kind).toBe('other');
    expect(classifyModelUrl('  ').kind).toBe('none');
  });
});

describe('an API-format prompt', () => {
  it('lists the loaders\' files by input name and embeddings in prompt text, not VAELoader\'s built-in TAESD', () => {
    const { models } = listWorkflowModels(read(fixture('sdxl-api-prompt.json')));
    expect(summary(models)).toEqual([
      ['upscale_models', 'RealESRGAN_x4plus.pth', 'none', '12:model_name'],
      ['checkpoints', 'SDXL/sdxl-base-sim.safetensors', 'none', '4:ckpt_name'],
      ['clip_vision', 'clip_vision_g.safetensors', 'none', '13:clip_name'],
      ['controlnet', 'controlnet-canny-sdxl-sim.safetensors', 'none', '11:control_net_name'],
      ['embeddings', 'negative-hands-sim', 'none', '7:text'],
      ['loras', 'sdxl-lora-sim.safetensors', 'none', '10:lora_name'],
      ['embeddings', 'sdxl-style-sim.safetensors', 'none', '6:text'],
    ]);
    expect(byName(listWorkflowModels(read(fixture('sdxl-api-prompt.json'))).models, 'sdxl-style-sim.safetensors')?.extensionOptional).toBeUndefined();
  });

  it('also inside the body ComfyUI\'s /prompt takes', () => {
    const wrapped = Buffer.from(JSON.stringify({ client_id: 'x', prompt: JSON.parse(fixture('sdxl-api-prompt.json').toString()) }));
    expect(listWorkflowModels(read(wrapped)).models).toHaveLength(7);
  });
});

describe('a PNG saved by ComfyUI', () => {
  const ui = fixture('flux-dev-template.json').toString('utf8');
  const prompt = JSON.stringify(FLUX_PROMPT);

  it('with the prompt in tEXt and the workflow in a compressed iTXt: both read, each file listed once', () => {
    const png = pngWithText([
      { kind: 'tEXt', keyword: 'prompt', text: prompt },
      { kind: 'iTXt', keyword: 'workflow', text: ui, compressed: true },
    ]);
    const workflow = read(png);
    expect(workflow.container).toBe('png');
    expect(workflow.ui?.nodes).toHaveLength(9);
    expect(workflow.api?.nodes.size).toBe(6);
    const fromPng = listWorkflowModels(workflow).models;
    const fromJson = listWorkflowModels(read(Buffer.from(ui))).models;
    expect(summary(fromPng).map((row) => row.slice(0, 3))).toEqual(summary(fromJson).map((row) => row.slice(0, 3)));
    // The custom node's input is named in the API prompt, so both views of node 9 are kept.
    expect(byName(fromPng, 'pulid_flux_v0.9.1.safetensors')?.usedBy.map((use) => use.input)).toEqual(['widgets_values[0]', 'pulid_file']);
    expect(byName(fromPng, 'clip_l.safetensors')?.usedBy).toHaveLength(1);
  });

  it('reads zTXt and uncompressed iTXt too, and UTF-8 names', () => {
    const utf8 = ui.replace('flux1-dev-sim.safetensors', 'flux1-dév-模型.safetensors');
    const workflow = read(pngWithText([{ kind: 'iTXt', keyword: 'workflow', text: utf8, compressed: false }, { kind: 'zTXt', keyword: 'prompt', text: prompt }]));
    expect(byName(listWorkflowModels(workflow).models, 'flux1-dév-模型.safetensors')?.directory).toBe('diffusion_models');
    expect(workflow.api?.nodes.size).toBe(6);
  });

  it('says so when a PNG carries no workflow, is cut short, or is not a PNG or JSON at all', () => {
    const bare = pngWithText([{ kind: 'tEXt', keyword: 'Software', text: 'GIMP' }]);
    expect(readWorkflow(bare)._unsafeUnwrapErr().message).toContain('carries no ComfyUI workflow');
    const full = pngWithText([{ kind: 'tEXt', keyword: 'prompt', text: prompt }]);
    expect(readPngText(full.subarray(0, 60))._unsafeUnwrapErr()).toContain('cut short');
    expect(readWorkflow(full.subarray(0, 60))._unsafeUnwrapErr().code).toBe('INVALID_WORKFLOW');
    expect(readWorkflow(Buffer.from('GIF89a…'))._unsafeUnwrapErr().message).toContain('neither a PNG nor valid JSON');
    expect(readWorkflow(Buffer.from('{"hello": "world"}'))._unsafeUnwrapErr().message).toContain('not a ComfyUI workflow');
  });
});

describe('odd but real workflow shapes', () => {
  it('nodes inside subgraphs, widget values as an object, legacy folder names, broken entries as warnings', () => {
    const workflow = {
      nodes: [{ id: 1, type: 'SomeSubgraph', mode: 0, widgets_values: [] }, { id: 'x' }],
      definitions: { subgraphs: [{ nodes: [{ id: 5, type: 'CheckpointLoaderSimple', widgets_values: { ckpt_name: 'inner.safetensors' } }] }] },
      models: [{ name: 'clip_l.safetensors', directory: 'clip', url: 'https://huggingface.co/o/r/resolve/main/clip_l.safetensors' }, { url: 'https://x' }],
    };
    const { models, warnings } = listWorkflowModels(read(Buffer.from(JSON.stringify(workflow))));
    expect(summary(models)).toEqual([
      ['text_encoders', 'clip_l.safetensors', 'huggingface', ''],
      ['checkpoints', 'inner.safetensors', 'none', '5:ckpt_name'],
    ]);
    expect(warnings).toEqual(['node #1 is not a node (needs id and type)', 'models[1] lacks a name or directory']);
  });

  it('reads a file with a byte-order mark, and a node list with nothing to load as an empty list', () => {
    const text = `\uFEFF${JSON.stringify({ nodes: [{ id: 1, type: 'KSampler', widgets_values: [1, 'fixed', 20, 8, 'euler', 'normal', 1] }] })}`;
    expect(listWorkflowModels(read(Buffer.from(text))).models).toEqual([]);
  });
});

describe('hostile input', () => {
  const png = pngWithText([
    { kind: 'tEXt', keyword: 'prompt', text: JSON.stringify(FLUX_PROMPT) },
    { kind: 'iTXt', keyword: 'workflow', text: fixture('flux-dev-template.json').toString('utf8'), compressed: true },
  ]);

  it('never throws on random bytes, damaged PNGs or random JSON', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const result = readWorkflow(bytes);
        if (result.isOk()) listWorkflowModels(result.value);
      }),
    );
    fc.assert(
      fc.property(fc.nat(png.length), fc.nat(png.length - 1), fc.integer({ min: 1, max: 255 }), (cut, at, flip) => {
        const damaged = Buffer.from(png.subarray(0, Math.max(8, cut)));
        if (at < damaged.length && at >= 8) damaged[at] = (damaged[at] ?? 0) ^ flip;
        const result = readWorkflow(damaged);
        if (result.isOk()) listWorkflowModels(result.value);
      }),
    );
    fc.assert(
      fc.property(fc.json(), (text) => {
        const result = readWorkflow(Buffer.from(text));
        if (result.isOk()) listWorkflowModels(result.value);
      }),
    );
  });

  it('does not inflate a compressed chunk without bound', () => {
    const bomb = pngWithText([{ kind: 'iTXt', keyword: 'workflow', text: ' '.repeat(80 * 1024 * 1024), compressed: true }]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect(readWorkflow(bomb)._unsafeUnwrapErr().message).toContain('carries no ComfyUI workflow');
  });
});
