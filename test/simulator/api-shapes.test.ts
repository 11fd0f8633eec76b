// The simulator's JSON must look like CivitAI's: compare key sets with the real samples in fixtures/civitai.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/project-root.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { modelSchema, modelSearchPageSchema, modelVersionSchema } from '../../src/civitai/schemas.js';
import { API_KEY, fetchJson, fetchRaw, header } from './support.js';

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(join(projectRoot(), 'fixtures', 'civitai', name), 'utf8')) as Json;
const keys = (value: unknown): string[] => Object.keys(value as Json).sort();
const first = (value: unknown): Json => (value as Json[])[0] as Json;

const realModel = fixture('model-1231067.json');
const realModelVersion = first(realModel.modelVersions);
const realVersion = fixture('model-version-1387174.json');
const realByHash = fixture('by-hash-1255556.json');
const realSearch = fixture('models-search-cursor.json');

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY });
});
afterAll(async () => {
  await sim?.close();
});

describe('GET /api/v1/models/:id', () => {
  it('has exactly the keys of a real 2025 model, version, file and image', async () => {
    const { status, json, answer } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.sdxlLora.modelId}`);
    expect(status).toBe(200);
    expect(header(answer, 'content-type')).toBe('application/json; charset=utf-8');
    const model = json as Json;
    expect(keys(model)).toEqual(keys(realModel));
    expect(keys(model.stats)).toEqual(keys(realModel.stats));
    expect(keys(model.creator)).toEqual(keys(realModel.creator));
    const version = first(model.modelVersions);
    expect(keys(version)).toEqual(keys(realModelVersion));
    expect(keys(version.stats)).toEqual(keys(realModelVersion.stats));
    expect(keys(first(version.files))).toEqual(keys(first(realModelVersion.files)));
    expect(keys(first(version.images))).toEqual(keys(first(realModelVersion.images)));
    expect(modelSchema.safeParse(model).success).toBe(true);
  });

  it('marks only the primary file, strips empty metadata, and builds per-file download URLs', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.sd15Checkpoint.modelId}`);
    const files = first((json as Json).modelVersions).files as Json[];
    expect(files.map((f) => f.primary)).toEqual([true, undefined]);
    expect(files[0]?.downloadUrl).toBe(`${sim.apiUrl}/api/download/models/${DEFAULT_IDS.sd15Checkpoint.versionId}`);
    expect(files[1]?.downloadUrl).toBe(`${sim.apiUrl}/api/download/models/${DEFAULT_IDS.sd15Checkpoint.versionId}?type=Model&format=PickleTensor&size=full&fp=fp32`);
    const { json: lora } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.sdxlLora.modelId}`);
    expect(first(first((lora as Json).modelVersions).files).metadata).toEqual({ format: 'SafeTensor' });
  });

  it('lists versions in index order, the newest first', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.twoVersionLora.modelId}`);
    const versions = (json as Json).modelVersions as Json[];
    expect(versions.map((v) => [v.id, v.index])).toEqual([
      [DEFAULT_IDS.twoVersionLora.newerVersionId, 0],
      [DEFAULT_IDS.twoVersionLora.olderVersionId, 1],
    ]);
  });

  it('drops files and download URLs of an archived model and says so in mode', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.archived.modelId}`);
    expect((json as Json).mode).toBe('Archived');
    const version = first((json as Json).modelVersions);
    expect(version.files).toBeUndefined();
    expect(version.downloadUrl).toBeUndefined();
    expect(version.images).toBeDefined();
  });

  it('shows early access as availability and a deadline', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.earlyAccess.modelId}`);
    const version = first((json as Json).modelVersions);
    expect(version.availability).toBe('EarlyAccess');
    expect(Date.parse(String(version.earlyAccessDeadline))).toBeGreaterThan(Date.now());
  });
});

describe('GET /api/v1/model-versions/:id and by-hash', () => {
  it('has exactly the keys of a real 2025 version, with the 2025 file and image keys', async () => {
    const { status, json } = await fetchJson(`${sim.apiUrl}/api/v1/model-versions/${DEFAULT_IDS.sdxlLora.versionId}`);
    expect(status).toBe(200);
    const version = json as Json;
    expect(keys(version)).toEqual(keys(realVersion));
    expect(keys(version.model)).toEqual(keys(realVersion.model));
    expect(keys(version.stats)).toEqual(keys(realVersion.stats));
    const file = first(version.files);
    expect(keys(file)).toEqual(keys(first(realVersion.files)));
    expect(file.primary).toBe(true);
    expect(file.metadata).toEqual({ format: 'SafeTensor', size: null, fp: null });
    const imageKeys = keys(first(version.images));
    const realImageKeys = new Set([...keys(first(realVersion.images)), ...keys(first(realByHash.images))]);
    expect(imageKeys.filter((key) => !realImageKeys.has(key))).toEqual([]);
    expect(keys(first(realVersion.images)).filter((key) => !imageKeys.includes(key))).toEqual([]);
    expect(version.air).toBe(`urn:air:sdxl:lora:civitai:${DEFAULT_IDS.sdxlLora.modelId}@${DEFAULT_IDS.sdxlLora.versionId}`);
    expect(modelVersionSchema.safeParse(version).success).toBe(true);
  });

  it('by-hash has the version shape (without the creator key a client library added)', async () => {
    const sha = sim.world.file(DEFAULT_IDS.vae.fileId)?.hashes.SHA256 ?? '';
    const { status, json, answer } = await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/${sha}`);
    expect(status).toBe(200);
    expect(keys(json)).toEqual(keys(realByHash).filter((key) => key !== 'creator'));
    expect(header(answer, 'cache-control')).toBe('public, s-maxage=3600, stale-while-revalidate=1800');
  });

  it('advertises SHA256, AutoV1, AutoV2, CRC32 and (safetensors) AutoV3 as uppercase hex of the right lengths', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/model-versions/${DEFAULT_IDS.sd15Checkpoint.versionId}`);
    const [safetensors, pickle] = (json as Json).files as Json[];
    const lengths = (hashes: unknown) => Object.fromEntries(Object.entries(hashes as Record<string, string>).map(([k, v]) => [k, /^[0-9A-F]+$/.test(v) ? v.length : -1]));
    expect(lengths(safetensors?.hashes)).toEqual({ AutoV1: 8, AutoV2: 10, SHA256: 64, CRC32: 8, AutoV3: 12 });
    expect(lengths(pickle?.hashes)).toEqual({ AutoV1: 8, AutoV2: 10, SHA256: 64, CRC32: 8 });
  });
});

describe('GET /api/v1/models (search)', () => {
  it('items and metadata have the keys of the real cursor sample', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/models?limit=1&page=1&sort=Highest%20Rated&types=Checkpoint`);
    const page = json as Json;
    expect(keys(page.metadata)).toEqual(keys(realSearch.metadata));
    const item = first(page.items);
    expect(keys(first(realSearch.items)).filter((key) => !keys(item).includes(key))).toEqual([]);
    const realVersionKeys = keys(first(first(realSearch.items).modelVersions)).filter((key) => key !== 'description');
    expect(realVersionKeys.filter((key) => !keys(first(item.modelVersions)).includes(key))).toEqual([]);
    expect('id' in first(first(item.modelVersions).images)).toBe(true);
    expect(modelSearchPageSchema.safeParse(page).success).toBe(true);
  });
});

describe('cross-cutting API behaviour', () => {
  it('sends CORS everywhere and the public cache header only to anonymous callers', async () => {
    const anonymous = await fetchRaw(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.vae.modelId}`);
    expect(header(anonymous, 'access-control-allow-origin')).toBe('*');
    expect(header(anonymous, 'cache-control')).toBe('public, s-maxage=300, stale-while-revalidate=150');
    const signedIn = await fetchRaw(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.vae.modelId}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(header(signedIn, 'cache-control')).toBeUndefined();
    expect((await fetchRaw(`${sim.apiUrl}/api/v1/models`, { method: 'OPTIONS' })).status).toBe(200);
  });

  it('answers unknown /api/v1 paths with an HTML 404, not JSON', async () => {
    const answer = await fetchRaw(`${sim.apiUrl}/api/v1/models-versions/1`);
    expect(answer.status).toBe(404);
    expect(header(answer, 'content-type')).toMatch(/^text\/html/);
  });

  it('answers 405 JSON to non-GET methods on mixed-auth endpoints', async () => {
    for (const path of ['/api/v1/models', `/api/v1/models/${DEFAULT_IDS.vae.modelId}`, `/api/v1/model-versions/${DEFAULT_IDS.vae.versionId}`]) {
      const answer = await fetchRaw(`${sim.apiUrl}${path}`, { method: 'PUT' });
      expect(answer.status, path).toBe(405);
      expect(JSON.parse(answer.body.toString())).toEqual({ error: 'Method not allowed' });
    }
  });

  it('gives the real error bodies for bad and unknown ids', async () => {
    expect(await fetchJson(`${sim.apiUrl}/api/v1/models/999999`)).toMatchObject({ status: 404, json: { error: 'No model with id 999999' } });
    const bad = await fetchJson(`${sim.apiUrl}/api/v1/models/abc`);
    expect(bad.status).toBe(400);
    expect(typeof (bad.json as Json).error).toBe('string');
    expect(await fetchJson(`${sim.apiUrl}/api/v1/models/0`)).toMatchObject({ status: 400 });
    expect(await fetchJson(`${sim.apiUrl}/api/v1/model-versions/0`)).toMatchObject({ status: 400, json: { error: 'Missing modelVersionId' } });
    expect(await fetchJson(`${sim.apiUrl}/api/v1/model-versions/999999`)).toMatchObject({ status: 404, json: { error: 'Model not found' } });
  });

  it('GET /api/v1/me: 200 with the key, 401 without or with a wrong one', async () => {
    expect((await fetchJson(`${sim.apiUrl}/api/v1/me`, { authorization: `Bearer ${API_KEY}` })).status).toBe(200);
    expect((await fetchJson(`${sim.apiUrl}/api/v1/me?token=${API_KEY}`)).status).toBe(200);
    expect(await fetchJson(`${sim.apiUrl}/api/v1/me`)).toMatchObject({ status: 401, json: { error: 'Unauthorized' } });
    expect((await fetchJson(`${sim.apiUrl}/api/v1/me`, { authorization: 'Bearer wrong' })).status).toBe(401);
    // An invalid key on a public endpoint is just anonymous.
    expect((await fetchJson(`${sim.apiUrl}/api/v1/models`, { authorization: 'Bearer wrong' })).status).toBe(200);
  });

  it('GET /api/v1/enums returns the captured enums', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/enums`);
    expect(json).toEqual(fixture('enums.json'));
  });

  it('blocks the Python-urllib agent with a Cloudflare page, as the WAF did', async () => {
    const answer = await fetchRaw(`${sim.apiUrl}/api/v1/models`, { headers: { 'user-agent': 'Python-urllib/3.12' } });
    expect(answer.status).toBe(403);
    expect(header(answer, 'content-type')).toMatch(/^text\/html/);
  });
});

describe('images', () => {
  const magic: Record<string, (bytes: Buffer) => boolean> = {
    'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b.at(-2) === 0xff && b.at(-1) === 0xd9,
    'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    'image/webp': (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 16) === 'WEBPVP8L',
  };

  it('serves every image URL of the metadata from the simulator with the right type and bytes', async () => {
    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/models/${DEFAULT_IDS.sd15Checkpoint.modelId}`);
    const model = json as Json;
    const urls = [(model.creator as Json).image, ...(first(model.modelVersions).images as Json[]).map((image) => image.url)] as string[];
    const types = new Set<string>();
    for (const url of urls) {
      expect(url.startsWith(sim.apiUrl)).toBe(true);
      const answer = await fetchRaw(url);
      const type = header(answer, 'content-type') ?? '';
      types.add(type);
      expect(answer.status, url).toBe(200);
      expect(magic[type]?.(answer.body), `${url} is a real ${type}`).toBe(true);
    }
    expect([...types].sort()).toEqual(['image/jpeg', 'image/png', 'image/webp']);
  });
});
