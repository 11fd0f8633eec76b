import { describe, expect, it } from 'vitest';
import type { Model, ModelVersionSummary } from '../../src/civitai/schemas.js';
import { discoverUpdate, isEarlyAccess, newestEligibleVersion, type InstalledFile } from '../../src/handlers/updates/update-decision.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const sha = (c: string) => c.repeat(64);

function version(id: number, publishedAt: string, extra: Partial<ModelVersionSummary> = {}): ModelVersionSummary {
  return {
    id, name: `v${id}`, baseModel: 'SDXL 1.0', publishedAt, status: 'Published', images: [],
    files: [{ id: id * 10, name: `f${id}.safetensors`, sizeKB: 1, type: 'Model', hashes: { SHA256: sha(String(id % 10)).toUpperCase() } }],
    ...extra,
  };
}

const model = (versions: ModelVersionSummary[]): Model => ({ id: 1, name: 'M', type: 'LORA', modelVersions: versions });
const installed = (versionId: number, baseModel = 'SDXL 1.0'): InstalledFile => ({ sha256: sha('f'), modelId: 1, versionId, baseModel });
const rules = { includeEarlyAccess: false, sameBaseModelOnly: false, now: NOW };
const nothingPresent = { sha256s: new Set<string>(), versionIds: new Set<number>() };

describe('update decisions', () => {
  it('orders versions by publication time, not by id or display order', () => {
    const m = model([version(5, '2026-01-01T00:00:00Z'), version(3, '2026-03-01T00:00:00Z'), version(4, '2026-02-01T00:00:00Z')]);
    expect(newestEligibleVersion(m, [installed(4)], rules)?.id).toBe(3);
    expect(discoverUpdate(m, [installed(4)], nothingPresent, rules)).toMatchObject({ versionId: 3, installedVersionId: 4 });
    expect(discoverUpdate(m, [installed(4), installed(3)], nothingPresent, rules)).toBeUndefined();
  });

  it('recognises every form of early access CivitAI sends', () => {
    expect(isEarlyAccess(version(1, '2026-01-01', { availability: 'EarlyAccess' }), NOW)).toBe(true);
    expect(isEarlyAccess(version(1, '2026-01-01', { earlyAccessDeadline: '2026-06-02T00:00:00' } as Partial<ModelVersionSummary>), NOW)).toBe(true);
    expect(isEarlyAccess(version(1, '2026-01-01', { earlyAccessEndsAt: '2026-05-01T00:00:00Z' } as Partial<ModelVersionSummary>), NOW)).toBe(false);
  });

  it('keeps to the installed base model when asked', () => {
    const m = model([version(2, '2026-02-01T00:00:00Z', { baseModel: 'Flux.1 D' }), version(1, '2026-01-01T00:00:00Z')]);
    expect(discoverUpdate(m, [installed(1)], nothingPresent, rules)?.versionId).toBe(2);
    expect(discoverUpdate(m, [installed(1)], nothingPresent, { ...rules, sameBaseModelOnly: true })).toBeUndefined();
  });

  it('is not an update when the version or one of its files is already present', () => {
    const m = model([version(2, '2026-02-01T00:00:00Z'), version(1, '2026-01-01T00:00:00Z')]);
    expect(discoverUpdate(m, [installed(1)], { sha256s: new Set([sha('2')]), versionIds: new Set() }, rules)).toBeUndefined();
    expect(discoverUpdate(m, [installed(1)], { sha256s: new Set(), versionIds: new Set([2]) }, rules)).toBeUndefined();
  });
});
