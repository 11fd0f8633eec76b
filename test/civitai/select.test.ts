import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelSchema, type Model, type ModelFile } from '../../src/civitai/schemas.js';
import { fileSha256, fileSizeBytes, newestVersion, selectFile } from '../../src/civitai/select.js';
import { projectRoot } from '../../src/config/project-root.js';

const model1102 = modelSchema.parse(JSON.parse(readFileSync(join(projectRoot(), 'fixtures/civitai/model-1102.json'), 'utf8')));
const v1292 = model1102.modelVersions.find((v) => v.id === 1292)!;

const file = (over: Partial<ModelFile>): ModelFile =>
  ({ id: 1, name: 'f.safetensors', sizeKB: 1, type: 'Model', hashes: {}, ...over }) as ModelFile;

describe('selectFile', () => {
  it('defaults to the primary file', () => {
    expect(selectFile(v1292.files, undefined, 'v')._unsafeUnwrap().name).toBe('synthwavepunk_v3Alpha.safetensors');
  });

  it('picks by id or by the download filters (case-insensitive)', () => {
    expect(selectFile(v1292.files, { kind: 'id', fileId: 5149 }, 'v')._unsafeUnwrap().id).toBe(5149);
    expect(selectFile(v1292.files, { kind: 'query', type: 'Model', format: 'picklETensor' }, 'v')._unsafeUnwrap().id).toBe(5149);
    expect(selectFile(v1292.files, { kind: 'query', fp: 'fp16' }, 'v')._unsafeUnwrap().id).toBe(194);
  });

  it('falls back to a primary-type file when none is flagged', () => {
    const files = [file({ id: 1, type: 'Training Data' }), file({ id: 2, type: 'Pruned Model' })];
    expect(selectFile(files, undefined, 'v')._unsafeUnwrap().id).toBe(2);
  });

  it('matches quantType from the open metadata', () => {
    const files = [file({ id: 1, metadata: { format: 'GGUF', quantType: 'Q4_K_M' } }), file({ id: 2, metadata: { format: 'GGUF', quantType: 'Q8_0' } })];
    expect(selectFile(files, { kind: 'query', quantType: 'Q8_0' }, 'v')._unsafeUnwrap().id).toBe(2);
  });

  it('picks by precision, format and size together, as --fp, --format and --size ask', () => {
    const files = [
      file({ id: 1, primary: true, metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp16' } }),
      file({ id: 2, metadata: { format: 'SafeTensor', size: 'full', fp: 'fp32' } }),
      file({ id: 3, metadata: { format: 'PickleTensor', size: 'full', fp: 'fp32' } }),
      file({ id: 4, metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp8_scaled' } }),
    ];
    const pick = (filters: Record<string, string>) => selectFile(files, { kind: 'query', ...filters }, 'v').map((f) => f.id).unwrapOr(0);
    expect(pick({ fp: 'fp32' })).toBe(2);
    expect(pick({ fp: 'fp32', format: 'PickleTensor' })).toBe(3);
    expect(pick({ size: 'full', format: 'pickletensor' })).toBe(3);
    expect(pick({ size: 'pruned' })).toBe(1);
    expect(pick({ fp: 'fp8' })).toBe(4);
    expect(pick({ fp: 'bf16' })).toBe(0);
  });

  it('lists every file with its metadata when nothing matches', () => {
    const e = selectFile(v1292.files, { kind: 'query', format: 'GGUF' }, 'Version 1292')._unsafeUnwrapErr();
    expect(e.code).toBe('NO_FILE');
    expect(e.message).toContain('Version 1292 has no file with format=GGUF. Its files:');
    expect(e.message).toMatch(/\n {2}5149 {2}synthwavepunk_v3Alpha\.ckpt {2}\(Model, format=PickleTensor size=full fp=fp16, [\d.]+ [KMG]iB\)/);
    expect(e.message.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(v1292.files.length);
    expect(e.message).toMatch(/--fp, --format and --size/);
    expect(selectFile([], undefined, 'v')._unsafeUnwrapErr().message).toContain('(none: CivitAI lists no downloadable file)');
  });
});

describe('newestVersion', () => {
  const base = { id: 9, name: 'm', type: 'LORA' };
  const v = (id: number, publishedAt?: string, status?: string) =>
    ({ id, name: `v${id}`, baseModel: 'SDXL 1.0', files: [], images: [], ...(publishedAt ? { publishedAt } : {}), ...(status ? { status } : {}) });

  it('takes the latest publication, not the display order', () => {
    const model = modelSchema.parse({ ...base, modelVersions: [v(3, '2024-01-01T00:00:00Z'), v(5, '2025-01-01T00:00:00.5'), v(4, '2024-06-01T00:00:00Z')] }) as Model;
    expect(newestVersion(model)._unsafeUnwrap().id).toBe(5);
  });

  it('skips unpublished versions and breaks ties by id', () => {
    const model = modelSchema.parse({ ...base, modelVersions: [v(3), v(7, '2030-01-01T00:00:00Z', 'Scheduled'), v(4)] });
    expect(newestVersion(model)._unsafeUnwrap().id).toBe(4);
    expect(newestVersion(modelSchema.parse({ ...base, modelVersions: [] }))._unsafeUnwrapErr().code).toBe('NO_VERSION');
  });
});

describe('file facts', () => {
  it('computes bytes from sizeKB and a lowercase SHA-256', () => {
    expect(fileSizeBytes(file({ sizeKB: 6775467.123046875 }))).toBe(6_938_078_334);
    expect(fileSha256(v1292.files[1]!)).toBe('ee2ab6d8723611d9a2fa9b0c8ce5a3770a84189a92b53d5e6cf44b02b9f8e033');
    expect(fileSha256(file({ hashes: { SHA256: 'ABC' } }))).toBeUndefined();
    expect(fileSha256(file({ hashes: {} }))).toBeUndefined();
  });
});
