// Changing the world while clients watch: new versions, replaced files.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_KEY, fetchJson, fetchRaw, header, sha256Hex, signedUrl } from './support.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY });
});
afterAll(async () => {
  await sim?.close();
});

const { twoVersionLora, sdxlLora } = DEFAULT_IDS;
const versionIds = async (modelId: number): Promise<number[]> =>
  ((await fetchJson(`${sim.apiUrl}/api/v1/models/${modelId}`)).json as { modelVersions: { id: number }[] }).modelVersions.map((v) => v.id);

describe('publishVersion', () => {
  it('adds the new version at index 0, known to /model-versions at once and to /models after the lag', async () => {
    const version = sim.world.publishVersion(
      twoVersionLora.modelId,
      { id: 2099, name: 'v3.0', baseModel: 'SD 1.5', files: [{ id: 3099, name: 'simPixelArt_v30.safetensors', content: { format: 'safetensors', fixture: 'sd15-lora-kohya' } }] },
      // Long enough that the first listing below lands inside it even on a loaded machine.
      { listedAfterMs: 1500 },
    );
    expect(version.index).toBe(0);
    expect((await fetchJson(`${sim.apiUrl}/api/v1/model-versions/2099`)).status).toBe(200);
    expect(await versionIds(twoVersionLora.modelId)).toEqual([twoVersionLora.newerVersionId, twoVersionLora.olderVersionId]);
    await sleep(1550);
    expect(await versionIds(twoVersionLora.modelId)).toEqual([2099, twoVersionLora.newerVersionId, twoVersionLora.olderVersionId]);
    expect((await fetchRaw(await signedUrl(sim, 2099))).status).toBe(200);
  });

  it('refuses duplicate ids', () => {
    expect(() => sim.world.publishVersion(sdxlLora.modelId, { id: sdxlLora.versionId, name: 'x', baseModel: 'SDXL 1.0', files: [] })).toThrow();
  });
});

describe('replaceFile', () => {
  it('changes the bytes, the advertised SHA-256 and the ETag; the old hash no longer resolves', async () => {
    const url = await signedUrl(sim, sdxlLora.versionId);
    const before = await fetchRaw(url);
    const oldSha = sim.world.file(sdxlLora.fileId)?.hashes.SHA256 ?? '';
    expect(sha256Hex(before.body)).toBe(oldSha);

    sim.world.replaceFile(sdxlLora.versionId);
    const after = await fetchRaw(url);
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/model-versions/${sdxlLora.versionId}`);
    const newSha = (json as { files: { hashes: { SHA256: string } }[] }).files[0]?.hashes.SHA256;
    expect(newSha).not.toBe(oldSha);
    expect(sha256Hex(after.body)).toBe(newSha);
    expect(after.body.length).toBe(before.body.length);
    expect(header(after, 'etag')).not.toBe(header(before, 'etag'));
    expect(after.body.equals(sim.fileBytes(sdxlLora.fileId))).toBe(true);
    // The safetensors header is unchanged; only the tensor bytes are new.
    const headerLength = 8 + Number(before.body.readBigUInt64LE(0));
    expect(after.body.subarray(0, headerLength).equals(before.body.subarray(0, headerLength))).toBe(true);
    expect((await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/${oldSha}`)).status).toBe(404);
    expect((await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/${newSha}`)).status).toBe(200);
  });

  it('a resume with If-Range across the replacement gets the whole new file', async () => {
    const url = await signedUrl(sim, sdxlLora.versionId);
    const start = await fetchRaw(url, { headers: { range: 'bytes=0-999' } });
    sim.world.replaceFile(sdxlLora.versionId);
    const resumed = await fetchRaw(url, { headers: { range: 'bytes=1000-', 'if-range': header(start, 'etag') ?? '' } });
    expect(resumed.status).toBe(200);
    expect(sha256Hex(resumed.body)).toBe(sim.world.file(sdxlLora.fileId)?.hashes.SHA256);
  });
});

describe('advertised hashes', () => {
  it('can be empty, wrong (the hash of a zip) or carry unknown keys, while the served bytes stay the same', async () => {
    const zipSha = 'C0FFEE'.repeat(10) + 'C0FF';
    const world = await startSimulator({
      apiKey: API_KEY,
      world: {
        models: [
          {
            id: 1,
            name: 'Odd hashes',
            type: 'LORA',
            versions: [
              { id: 11, name: 'none', baseModel: 'SD 1.5', files: [{ id: 111, name: 'a.safetensors', content: { format: 'bytes', size: 4096 }, hashes: {} }] },
              { id: 12, name: 'zip', baseModel: 'SD 1.5', files: [{ id: 121, name: 'b.safetensors', content: { format: 'bytes', size: 4096 }, hashes: { SHA256: zipSha, SHA256_12: zipSha.slice(0, 12) } }] },
            ],
          },
        ],
      },
    });
    try {
      const files = async (versionId: number) => ((await fetchJson(`${world.apiUrl}/api/v1/model-versions/${versionId}`)).json as { files: { hashes: Record<string, string> }[] }).files;
      expect((await files(11))[0]?.hashes).toEqual({});
      expect((await files(12))[0]?.hashes).toEqual({ SHA256: zipSha, SHA256_12: zipSha.slice(0, 12) });
      const served = (await fetchRaw(await signedUrl(world, 12))).body;
      expect(sha256Hex(served)).not.toBe(zipSha);
      expect(sha256Hex(served)).toBe(world.world.file(121)?.servedSha256);
      expect((await fetchJson(`${world.apiUrl}/api/v1/model-versions/by-hash/${zipSha.slice(0, 12)}`)).status).toBe(200);
    } finally {
      await world.close();
    }
  });
});

describe('addModel', () => {
  it('makes a model from a spec available on every endpoint', async () => {
    sim.world.addModel({
      id: 7777,
      name: 'Added Later',
      type: 'VAE',
      versions: [{ id: 7778, name: 'v1', baseModel: 'SDXL 1.0', files: [{ id: 7779, name: 'added.safetensors', content: { format: 'safetensors', fixture: 'sdxl-vae-diffusers' } }] }],
    });
    expect((await fetchJson(`${sim.apiUrl}/api/v1/models/7777`)).status).toBe(200);
    expect((await fetchJson(`${sim.apiUrl}/api/v1/model-versions/7778`)).status).toBe(200);
    const body = (await fetchRaw(await signedUrl(sim, 7778))).body;
    expect(sha256Hex(body)).toBe(sim.world.file(7779)?.hashes.SHA256);
  });
});
