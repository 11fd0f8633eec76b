import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { idsFromCivitaiHelper, idsFromMetadataJson, idsFromStabilityMatrix } from '../../src/sidecar/foreign.js';

const civitaiFixture = async (name: string) => JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'civitai', name), 'utf8')) as Record<string, unknown>;

describe('Civitai Helper .civitai.info', () => {
  it('reads the raw version object', async () => {
    expect(idsFromCivitaiHelper(await civitaiFixture('model-version-1387174.json'))).toEqual({
      sha256: '9753338ab693ca82bf89ed77a5d1912879e40051463ec6e330fb9866ce798668',
      modelId: 1231067,
      versionId: 1387174,
    });
  });

  it('takes the hash of the file with the same name when a version has several', () => {
    const version = {
      id: 5, modelId: 4,
      files: [
        { name: 'model.safetensors', type: 'Model', primary: true, hashes: { SHA256: 'A'.repeat(64) } },
        { name: 'vae.safetensors', type: 'VAE', hashes: { SHA256: 'B'.repeat(64) } },
      ],
    };
    expect(idsFromCivitaiHelper(version, 'vae.safetensors').sha256).toBe('b'.repeat(64));
    expect(idsFromCivitaiHelper(version, 'renamed.safetensors').sha256).toBe('a'.repeat(64));
  });

  it('reads "not on CivitAI" markers and skeletons as nothing', () => {
    expect(idsFromCivitaiHelper({})).toEqual({});
    expect(idsFromCivitaiHelper({ id: '', modelId: '', files: [{ name: '', hashes: { AutoV2: '', SHA256: '' } }], skeleton_file: true })).toEqual({});
    expect(idsFromCivitaiHelper('garbage')).toEqual({});
    expect(idsFromCivitaiHelper({ id: '77', modelId: 'x', files: 'nope' })).toEqual({ versionId: 77 });
  });
});

describe('Stability Matrix .cm-info.json', () => {
  it('reads PascalCase ids and hashes', () => {
    const cmInfo = { ModelId: 1231067, VersionId: 1387174, ModelName: 'x', Hashes: { SHA256: 'C'.repeat(64), BLAKE3: 'D' }, Source: 0 };
    expect(idsFromStabilityMatrix(cmInfo)).toEqual({ sha256: 'c'.repeat(64), modelId: 1231067, versionId: 1387174 });
    expect(idsFromStabilityMatrix({ ModelId: -1, Hashes: 'nope' })).toEqual({});
  });
});

describe('.metadata.json (ours and Lora-Manager)', () => {
  it('reads the hash and the CivitAI ids', async () => {
    const sidecar = { sha256: 'E'.repeat(64), civitai: await civitaiFixture('by-hash-1255556.json') };
    const ids = idsFromMetadataJson(sidecar);
    expect(ids.sha256).toBe('e'.repeat(64));
    expect(ids.versionId).toBe(1255556);
    expect(typeof ids.modelId).toBe('number');
  });

  it('falls back to our own ids when the civitai object is empty', () => {
    expect(idsFromMetadataJson({ sha256: '', civitai: {}, comfyui_dl: { modelId: 3, versionId: 4 } })).toEqual({ modelId: 3, versionId: 4 });
    expect(idsFromMetadataJson({ sha256: '0'.repeat(64) })).toEqual({});
  });
});
