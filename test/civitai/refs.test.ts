import { describe, it, expect } from 'vitest';
import { modelRefFromIds, parseModelRef, withFileFilters, withFileId, type ModelRef } from '../../src/civitai/refs.js';

const opts = { baseUrl: 'http://127.0.0.1:40123' };

describe('parseModelRef accepts every documented form', () => {
  const good: [string, ModelRef][] = [
    ['https://civitai.com/models/1231067', { kind: 'model', modelId: 1231067 }],
    ['https://civitai.com/models/1231067/vivid-impressions-storybook-style', { kind: 'model', modelId: 1231067 }],
    ['https://civitai.com/models/1231067/slug/', { kind: 'model', modelId: 1231067 }],
    ['https://www.civitai.com/models/4384?modelVersionId=128713', { kind: 'version', versionId: 128713, modelId: 4384 }],
    ['https://civitai.red/models/4384/dreamshaper?modelVersionId=128713', { kind: 'version', versionId: 128713, modelId: 4384 }],
    ['http://www.civitai.red/models/7', { kind: 'model', modelId: 7 }],
    ['civitai.com/models/12', { kind: 'model', modelId: 12 }],
    ['https://civitai.com/api/download/models/1387174', { kind: 'version', versionId: 1387174 }],
    ['https://api.civitai.com/api/download/models/176425', { kind: 'version', versionId: 176425 }],
    [
      'https://civitai.com/api/download/models/1292?type=Model&format=PickleTensor',
      { kind: 'version', versionId: 1292, file: { kind: 'query', type: 'Model', format: 'PickleTensor' } },
    ],
    [
      'https://civitai.com/api/download/models/5?type=Pruned%20Model&size=pruned&fp=fp16&format=SafeTensor',
      { kind: 'version', versionId: 5, file: { kind: 'query', type: 'Pruned Model', format: 'SafeTensor', size: 'pruned', fp: 'fp16' } },
    ],
    ['https://civitai.com/api/download/models/5?fileId=99', { kind: 'version', versionId: 5, file: { kind: 'id', fileId: 99 } }],
    [
      'https://civitai.com/models/4384/dreamshaper?modelVersionId=128713&fp=fp32&format=SafeTensor',
      { kind: 'version', versionId: 128713, modelId: 4384, file: { kind: 'query', fp: 'fp32', format: 'SafeTensor' } },
    ],
    ['https://civitai.com/models/4384?size=full', { kind: 'model', modelId: 4384, file: { kind: 'query', size: 'full' } }],
    ['https://civitai.com/api/download/models/5?token=secret', { kind: 'version', versionId: 5 }],
    ['http://127.0.0.1:40123/models/3', { kind: 'model', modelId: 3 }],
    ['http://127.0.0.1:40123/api/download/models/31', { kind: 'version', versionId: 31 }],
    ['urn:air:flux1:lora:civitai:1231067@1387174', { kind: 'version', versionId: 1387174, modelId: 1231067 }],
    ['URN:AIR:sdxl:checkpoint:civitai:101055@128078', { kind: 'version', versionId: 128078, modelId: 101055 }],
    ['urn:air:sd1:embedding:civitai:7808', { kind: 'model', modelId: 7808 }],
    ['  https://civitai.com/models/9  ', { kind: 'model', modelId: 9 }],
  ];
  it.each(good)('%s', (input, expected) => {
    expect(parseModelRef(input, opts)._unsafeUnwrap()).toEqual(expected);
  });

  it('accepts URLs under a base URL with a path prefix', () => {
    const ref = parseModelRef('http://proxy.local:8080/civitai/models/5', { baseUrl: 'http://proxy.local:8080/civitai/' });
    expect(ref._unsafeUnwrap()).toEqual({ kind: 'model', modelId: 5 });
  });
});

describe('parseModelRef rejects everything else with a message', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['https://huggingface.co/stabilityai/sdxl/resolve/main/x.safetensors', /huggingface\.co is not CivitAI/],
    ['https://civitai.com.evil.example/models/1', /not CivitAI/],
    ['http://127.0.0.1:9/models/1', /127\.0\.0\.1 is not CivitAI/],
    ['javascript:alert(1)', /not an http\(s\) URL/],
    ['file:///etc/passwd', /not an http\(s\) URL/],
    ['https://civitai.com/models/-5', /not a valid CivitAI id/],
    ['https://civitai.com/models/0', /not a valid CivitAI id/],
    ['https://civitai.com/models/2147483648', /not a valid CivitAI id/],
    ['https://civitai.com/models/1e3', /not a valid CivitAI id/],
    ['https://civitai.com/models/5?modelVersionId=abc', /modelVersionId `abc`/],
    ['https://civitai.com/api/download/models/5?fileId=-1', /fileId/],
    ['https://civitai.com/user/someone', /neither a model page/],
    ['https://civitai.com/models/5/slug/extra', /neither a model page/],
    ['urn:air:sdxl:lora:huggingface:5@6', /only civitai/],
    ['urn:air:sdxl:lora:civitai:5@x', /version id `x`/],
    ['urn:air:sdxl:civitai:5', /not a valid AIR/],
    ['12345', /--model 12345/],
    ['not a ref', /not a CivitAI reference/],
  ];
  it.each(bad)('%s', (input, message) => {
    const result = parseModelRef(input, opts);
    expect(result.isErr()).toBe(true);
    expect(result._unsafeUnwrapErr().code).toBe('INVALID_REF');
    expect(result._unsafeUnwrapErr().message).toMatch(message);
  });

  it('never echoes a key carried by a rejected URL', () => {
    const result = parseModelRef('https://civitai.com/nope?token=abcdef0123456789', opts);
    expect(result._unsafeUnwrapErr().message).not.toContain('abcdef0123456789');
  });

  it('survives a nonsense base URL', () => {
    expect(parseModelRef('https://civitai.com/models/1', { baseUrl: 'not a url' })._unsafeUnwrap()).toEqual({ kind: 'model', modelId: 1 });
  });
});

describe('modelRefFromIds', () => {
  it('builds model, version and file references', () => {
    expect(modelRefFromIds({ model: '12' })._unsafeUnwrap()).toEqual({ kind: 'model', modelId: 12 });
    expect(modelRefFromIds({ version: 34 })._unsafeUnwrap()).toEqual({ kind: 'version', versionId: 34 });
    expect(modelRefFromIds({ model: 12, version: '34', file: '56' })._unsafeUnwrap()).toEqual({
      kind: 'version', versionId: 34, modelId: 12, file: { kind: 'id', fileId: 56 },
    });
  });

  it('rejects missing or malformed ids', () => {
    expect(modelRefFromIds({})._unsafeUnwrapErr().message).toMatch(/--model ID/);
    expect(modelRefFromIds({ file: 3 })._unsafeUnwrapErr().message).toMatch(/--version ID/);
    expect(modelRefFromIds({ model: '-1' })._unsafeUnwrapErr().message).toMatch(/--model id `-1`/);
    expect(modelRefFromIds({ version: '1.5' })._unsafeUnwrapErr().message).toMatch(/--version id/);
    expect(modelRefFromIds({ version: 1, file: 'x' })._unsafeUnwrapErr().message).toMatch(/--file id/);
  });

  it('withFileFilters narrows by file metadata, the flags winning over the URL, and refuses a file id', () => {
    const page = parseModelRef('https://civitai.com/models/1?modelVersionId=2&fp=fp16&size=pruned', opts);
    expect(page.andThen((r) => withFileFilters(r, { fp: 'fp32', format: 'SafeTensor' }))._unsafeUnwrap()).toEqual({
      kind: 'version', versionId: 2, modelId: 1, file: { kind: 'query', fp: 'fp32', size: 'pruned', format: 'SafeTensor' },
    });
    expect(withFileFilters({ kind: 'model', modelId: 1 }, {})._unsafeUnwrap()).toEqual({ kind: 'model', modelId: 1 });
    expect(withFileFilters({ kind: 'version', versionId: 2, file: { kind: 'id', fileId: 3 } }, { fp: 'fp32' })._unsafeUnwrapErr().message).toMatch(/drop --fp/);
  });

  it('withFileId narrows a parsed reference', () => {
    const ref = parseModelRef('https://civitai.com/models/1', opts).andThen((r) => withFileId(r, '7'));
    expect(ref._unsafeUnwrap()).toEqual({ kind: 'model', modelId: 1, file: { kind: 'id', fileId: 7 } });
  });
});
