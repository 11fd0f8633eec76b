import { err, ok } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { WorkflowModel as ListedModel } from '../../src/workflow/models.js';
import { MAX_WORKFLOW_CHECK_BYTES, type WorkflowModel } from '../../src/ipc/protocol.js';
import { checkRequestOf } from '../../src/workflow/request.js';
import { classifyModelUrl } from '../../src/workflow/url-kind.js';
import { judgeModel, needsHashLookup, type ModelFacts } from '../../src/workflow/verdict.js';

const CIVITAI = 'https://civitai.com';
const use = { nodeId: '4', nodeType: 'LoraLoader', input: 'lora_name', active: true };
const model = (extra: Partial<WorkflowModel> = {}): WorkflowModel => ({ name: 'detail.safetensors', directory: 'loras', usedBy: [use], ...extra });
const facts = (m: WorkflowModel, extra: Partial<ModelFacts> = {}): ModelFacts => ({
  foundAt: null,
  landing: ok({ path: `loras/${m.name}`, name: m.name, renamed: false }),
  urlKind: classifyModelUrl(m.url),
  hashLookup: null,
  civitaiUrl: CIVITAI,
  ...extra,
});
const judge = (m: WorkflowModel, extra: Partial<ModelFacts> = {}) => judgeModel(m, facts(m, extra));

describe('where a workflow\'s model file stands', () => {
  it('present wherever ComfyUI finds it, whatever else the workflow says', () => {
    const m = model({ url: 'https://example.com/x' });
    expect(judge(m, { foundAt: '/big/loras/detail.safetensors' })).toMatchObject({ status: 'present', path: '/big/loras/detail.safetensors', reason: null, fetch: null });
  });

  it('missing with a CivitAI or Hugging Face URL: fetched by that URL into its place', () => {
    const civitai = model({ url: 'https://civitai.com/api/download/models/130072' });
    expect(judge(civitai)).toMatchObject({ status: 'missing', source: 'civitai', path: 'loras/detail.safetensors', url: civitai.url, fetch: { ref: civitai.url } });
    const hf = model({ url: 'https://huggingface.co/o/r/resolve/main/detail.safetensors' });
    expect(judge(hf)).toMatchObject({ status: 'missing', source: 'huggingface', fetch: { ref: hf.url } });
  });

  it('missing with only a hash CivitAI knows: fetched as that version\'s file, its page as the URL', () => {
    const m = model({ hash: 'ab'.repeat(32), hashType: 'sha256' });
    expect(needsHashLookup(m, null, classifyModelUrl(undefined))).toBe(true);
    const found = judge(m, { hashLookup: { kind: 'found', modelId: 1005, versionId: 2005, fileId: 3006 } });
    expect(found).toMatchObject({
      status: 'missing', source: 'civitai', url: 'https://civitai.com/models/1005?modelVersionId=2005',
      civitai: { modelId: 1005, versionId: 2005, fileId: 3006 }, fetch: { version: 2005, file: 3006 },
    });
  });

  it('asks CivitAI about a hash only when nothing else can bring the file', () => {
    const hashed = model({ hash: 'ab'.repeat(32) });
    expect(needsHashLookup(hashed, 'loras/detail.safetensors', classifyModelUrl(undefined))).toBe(false);
    expect(needsHashLookup({ ...hashed, url: 'https://civitai.com/models/1' }, null, classifyModelUrl('https://civitai.com/models/1'))).toBe(false);
    expect(needsHashLookup({ ...hashed, url: 'https://example.com/x' }, null, classifyModelUrl('https://example.com/x'))).toBe(true);
    expect(needsHashLookup({ ...hashed, directory: null }, null, classifyModelUrl(undefined))).toBe(false);
    expect(needsHashLookup(model({ hash: ' ' }), null, classifyModelUrl(undefined))).toBe(false);
  });

  it('unresolved otherwise, each time saying what to do and where the file goes', () => {
    expect(judge(model()).reason).toBe('the workflow gives no URL or hash for it: find it and put it at loras/detail.safetensors');
    expect(judge(model({ url: 'https://example.com/d.safetensors' })).reason).toBe('comfyui-dl fetches from CivitAI and Hugging Face only: download it from https://example.com/d.safetensors and put it at loras/detail.safetensors');
    expect(judge(model({ hash: 'abc', hashType: 'sha256' }), { hashLookup: { kind: 'unknown' } }).reason).toMatch(/^CivitAI knows no file with the sha256 abc/);
    expect(judge(model({ hash: 'abc' }), { hashLookup: { kind: 'failed', message: 'CivitAI is down (503)' } }).reason).toMatch(/could not look its hash abc up on CivitAI \(CivitAI is down \(503\)\); try again later/);
    for (const verdict of [judge(model()), judge(model({ url: 'https://example.com/x' }))]) expect(verdict).toMatchObject({ status: 'unresolved', path: 'loras/detail.safetensors', fetch: null });
  });

  it('unresolved without a place: a node comfyui-dl does not know, or a folder that is none', () => {
    const custom = model({ directory: null, usedBy: [{ nodeId: '9', nodeType: 'PulidFluxModelLoader', input: 'widgets_values[0]', active: true }] });
    expect(judge(custom, { landing: err('no folder known') })).toMatchObject({
      status: 'unresolved', path: null,
      reason: 'no folder is known for it: PulidFluxModelLoader (node 9) is not a loader comfyui-dl knows, and the workflow\'s models list does not name it; put it in the folder that node reads from',
    });
    expect(judge(model({ directory: 'custom_nodes', url: 'https://civitai.com/models/1' }), { landing: err('custom_nodes is not a folder of models') }))
      .toMatchObject({ status: 'unresolved', reason: 'custom_nodes is not a folder of models', fetch: null });
  });

  it('warns about a name it cannot write as given, and about files only muted nodes use', () => {
    const renamed = judge(model({ name: 'a:b.safetensors', url: 'https://civitai.com/models/1' }), { landing: ok({ path: 'loras/a_b.safetensors', name: 'a_b.safetensors', renamed: true }) });
    expect(renamed.warnings).toEqual(['comfyui-dl does not write some characters of this name: it lands as a_b.safetensors, which the loader will not find until the workflow names it so']);
    expect(judge(model({ usedBy: [{ ...use, active: false }] }), { foundAt: 'loras/detail.safetensors' }).warnings).toEqual(['only muted or bypassed nodes use it']);
  });
});

describe('the request a client sends', () => {
  const listed = (extra: Partial<ListedModel> = {}): ListedModel => ({ name: 'a.safetensors', directory: 'loras', usedBy: [use], urlKind: { kind: 'none' }, ...extra });

  it('keeps what the daemon needs, within the protocol\'s bounds', () => {
    const r = checkRequestOf([
      listed({ url: 'https://civitai.com/models/1', hash: 'ab', hashType: 'sha256', extensionOptional: true }),
      listed({ name: 'x'.repeat(2000) }),
      listed({ name: 'b.safetensors', url: `https://civitai.com/models/1?${'q'.repeat(9000)}`, usedBy: Array.from({ length: 150 }, (_, i) => ({ ...use, nodeId: String(i), title: 't'.repeat(400) })) }),
    ])._unsafeUnwrap();
    expect(r.models.map((m) => m.name)).toEqual(['a.safetensors', 'b.safetensors']);
    expect(r.models[0]).toEqual({ name: 'a.safetensors', directory: 'loras', usedBy: [use], url: 'https://civitai.com/models/1', hash: 'ab', hashType: 'sha256', extensionOptional: true });
    expect(r.models[1]).not.toHaveProperty('url');
    expect(r.models[1]!.usedBy).toHaveLength(100);
    expect(r.models[1]!.usedBy[0]!.title).toHaveLength(300);
    expect(r.warnings).toHaveLength(3);
  });

  it('refuses a list too large for a frame, and checks at most 500 files', () => {
    const huge = Array.from({ length: 400 }, (_, i) => listed({ name: `${i}-${'n'.repeat(1000)}`, usedBy: Array.from({ length: 5 }, () => ({ ...use, title: 't'.repeat(300) })) }));
    expect(checkRequestOf(huge)._unsafeUnwrapErr()).toMatch(new RegExp(`at most ${MAX_WORKFLOW_CHECK_BYTES / 1024} KiB`));
    const many = checkRequestOf(Array.from({ length: 600 }, (_, i) => listed({ name: `${i}.safetensors` })))._unsafeUnwrap();
    expect(many.models).toHaveLength(500);
    expect(many.warnings).toEqual(['the workflow names 600 model files; only the first 500 are checked']);
  });
});
