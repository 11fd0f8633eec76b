import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelSchema, modelSearchPageSchema, modelVersionSchema } from '../../src/civitai/schemas.js';
import { projectRoot } from '../../src/config/project-root.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(projectRoot(), 'fixtures/civitai', name), 'utf8'));

describe('schemas accept the real CivitAI samples', () => {
  it.each(['model-1102.json', 'model-1231067.json'])('model %s', (name) => {
    const model = modelSchema.parse(fixture(name));
    expect(model.modelVersions.length).toBeGreaterThan(0);
    expect(model.modelVersions.every((v) => v.files.every((f) => typeof f.hashes === 'object'))).toBe(true);
  });

  it.each(['model-version-1387174.json', 'model-version-1318.json', 'by-hash-1255556.json'])('version %s', (name) => {
    const version = modelVersionSchema.parse(fixture(name));
    expect(version.model.name.length).toBeGreaterThan(0);
    expect(version.files[0]?.hashes.SHA256).toMatch(/^[0-9A-F]{64}$/);
  });

  it.each(['models-search.json', 'models-search-cursor.json'])('search page %s', (name) => {
    const page = modelSearchPageSchema.parse(fixture(name));
    expect(page.items.length).toBeGreaterThan(0);
  });

  it('keeps unknown fields, so the version can be written to sidecars as received', () => {
    const raw = fixture('model-version-1387174.json') as Record<string, unknown>;
    const version = modelVersionSchema.parse(raw);
    expect(version.uploadType).toBe('Created');
    expect(version.stats).toEqual(raw.stats);
    expect(version.files[0]?.pickleScanMessage).toBe('No Pickle imports');
    expect(JSON.parse(JSON.stringify(version))).toEqual(raw);
  });

  it('accepts unknown hash keys and zone-less timestamps (2026 excerpt)', () => {
    const raw = fixture('model-version-128078.excerpt.json') as Record<string, unknown>;
    const version = modelVersionSchema.safeParse({ ...raw, model: { name: 'SDXL', type: 'Checkpoint' } });
    expect(version.success).toBe(true);
    expect(version.data?.files[0]?.hashes.SHA256_12).toBe('E6BB9EA85BBF');
  });

  it('treats missing or null hashes and missing images as empty', () => {
    const raw = structuredClone(fixture('model-version-1387174.json')) as { files: Record<string, unknown>[]; images?: unknown };
    delete raw.images;
    raw.files[0]!.hashes = null;
    const version = modelVersionSchema.parse(raw);
    expect(version.files[0]?.hashes).toEqual({});
    expect(version.images).toEqual([]);
  });

  it('is strict about the fields the daemon relies on', () => {
    const raw = fixture('model-version-1387174.json') as { files: Record<string, unknown>[] };
    const broken = { ...raw, files: [{ ...raw.files[0], sizeKB: '18829' }] };
    const result = modelVersionSchema.safeParse(broken);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['files', 0, 'sizeKB']);
    expect(modelVersionSchema.safeParse({ ...raw, id: -3 }).success).toBe(false);
    const { model: _model, ...withoutModel } = raw as Record<string, unknown>;
    expect(modelVersionSchema.safeParse(withoutModel).success).toBe(false);
  });

  it('reads the cursor of a cursor-paged search', () => {
    const page = modelSearchPageSchema.parse(fixture('models-search-cursor.json'));
    expect(page.metadata.nextCursor).toBe('22138|364671|25494');
  });
});
