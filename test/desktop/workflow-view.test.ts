import { describe, expect, it } from 'vitest';
import { readWorkflowFile } from '../../desktop/src/lib/workflow-file.js';
import { forTheApp } from '../../desktop/src/lib/messages.js';
import { counts, currentJob, detailOf, gettable, mergeChecks, nodesOf } from '../../desktop/src/lib/workflow-view.js';
import type { JobJson, WorkflowModelJson } from '../../src/ipc/protocol.js';
import { pngWithText } from '../workflow/png-writer.js';

const job = (over: Partial<JobJson>): JobJson => ({
  id: 'j', state: 'queued', modelId: null, versionId: null, fileId: null, fileName: null, path: null, sha256: null, bytesDone: 0, bytesTotal: null,
  error: null, errorCode: null, modelName: null, versionName: null, type: null, baseModel: null, folder: null, routingReason: null, attempts: 0,
  nextAttemptAt: null, pausedReason: null, source: 'civitai', repo: null, revision: null, repoPath: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...over,
});
const model = (over: Partial<WorkflowModelJson>): WorkflowModelJson => ({
  name: 'a.safetensors', directory: 'loras', status: 'missing', path: 'loras/a.safetensors', url: null, source: 'civitai', hash: null, hashType: null,
  civitai: null, usedBy: [{ nodeId: '4', nodeType: 'LoraLoader', input: 'lora_name', active: true }], reason: null, warnings: [], job: null, error: null, ...over,
});

describe('the Workflow page\'s words and counts', () => {
  it('counts, and says where each file is, comes from, or why it cannot be had', () => {
    const models = [model({ status: 'present', path: 'loras/a.safetensors' }), model({}), model({ source: 'huggingface' }), model({ status: 'unresolved', reason: 'the workflow gives no URL or hash for it' })];
    expect(counts(models)).toEqual({ present: 1, missing: 2, unresolved: 1 });
    expect(models.map(detailOf)).toEqual([
      'Found at loras/a.safetensors', 'From CivitAI, to loras/a.safetensors', 'From Hugging Face, to loras/a.safetensors', 'The workflow gives no URL or hash for it',
    ]);
    expect(detailOf(model({ civitai: { modelId: 1, versionId: 2, fileId: 3 } }))).toBe('From CivitAI (found by its hash), to loras/a.safetensors');
    expect(nodesOf(model({ usedBy: [{ nodeId: '4', nodeType: 'LoraLoader', title: 'Style', input: 'lora_name', active: true }, { nodeId: '9', nodeType: 'LoraLoader', input: 'lora_name', active: false }] })))
      .toBe('Style (#4) · LoraLoader (#9), muted');
  });

  it('offers Get all for missing files without a download on its way, reading jobs as the live feed has them', () => {
    const queued = model({ job: job({ id: 'q', state: 'queued' }) });
    const models = [model({}), queued, model({ status: 'present' })];
    expect(gettable(models, [])).toBe(1);
    expect(currentJob(queued, [job({ id: 'q', state: 'failed' })])?.state).toBe('failed');
    expect(gettable(models, [job({ id: 'q', state: 'failed' })])).toBe(2);
  });

  it('keeps, for a file still missing, why it was not queued and the job that ended, across checks', () => {
    const first = [model({ error: { code: 'BAD_PARAMS', message: 'huggingface.co is not CivitAI' } }), model({ name: 'b', job: job({ id: 'b', state: 'queued' }) }), model({ name: 'c', job: job({ id: 'c' }) })];
    const fresh = [model({}), model({ name: 'b' }), model({ name: 'c', status: 'present', path: 'loras/c' })];
    expect(mergeChecks(first, fresh, { keepErrors: true }).map((m) => [m.error?.code ?? null, m.job?.id ?? null, m.status])).toEqual([
      ['BAD_PARAMS', null, 'missing'], [null, 'b', 'missing'], [null, null, 'present'],
    ]);
    // Check again (the user's) asks anew: the refusal is forgotten, so Get all offers the file again.
    const asked = mergeChecks(first, fresh, { keepErrors: false });
    expect(asked[0]!.error).toBeNull();
    expect(gettable(mergeChecks(first, fresh, { keepErrors: true }), [])).toBe(0);
    expect(gettable(asked, [])).toBe(1);
    expect(mergeChecks(null, fresh, { keepErrors: true })).toEqual(fresh);
  });

  it('says a daemon message after a label without capitalising a host name', () => {
    expect(forTheApp('huggingface.co is not CivitAI', { afterLabel: true })).toBe('huggingface.co is not CivitAI');
    expect(forTheApp('huggingface.co is not CivitAI')).toBe('Huggingface.co is not CivitAI');
  });
});

describe('reading a dropped file as the browser does', () => {
  const ui = JSON.stringify({ nodes: [{ id: 1, type: 'VAELoader', widgets_values: ['ae.safetensors'] }] });

  it('reads JSON and PNGs, compressed text inflated by DecompressionStream', async () => {
    const fromJson = (await readWorkflowFile(new Blob([ui])))._unsafeUnwrap();
    expect(fromJson.models.map((m) => [m.directory, m.name])).toEqual([['vae', 'ae.safetensors']]);
    for (const png of [pngWithText([{ kind: 'iTXt', keyword: 'workflow', text: ui, compressed: true }]), pngWithText([{ kind: 'zTXt', keyword: 'workflow', text: ui }])]) {
      expect((await readWorkflowFile(new Blob([png])))._unsafeUnwrap().models).toEqual(fromJson.models);
    }
  });

  it('says what is wrong, and never inflates without bound', async () => {
    expect((await readWorkflowFile(new Blob(['hello'])))._unsafeUnwrapErr()).toContain('neither a PNG nor valid JSON');
    expect((await readWorkflowFile(new Blob([pngWithText([]).subarray(0, 20)])))._unsafeUnwrapErr()).toContain('cut short');
    const bomb = pngWithText([{ kind: 'iTXt', keyword: 'workflow', text: ' '.repeat(80 * 1024 * 1024), compressed: true }]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect((await readWorkflowFile(new Blob([bomb])))._unsafeUnwrapErr()).toContain('carries no ComfyUI workflow');
  });
});
