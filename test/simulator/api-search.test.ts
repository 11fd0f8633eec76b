import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { DEFAULT_IDS, defaultWorld, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_KEY, fetchJson, fetchRaw, header } from './support.js';

type Page = { items: { id: number; type: string; modelVersions: { baseModel: string; files?: unknown[] }[] }[]; metadata: Record<string, unknown> };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY });
});
afterAll(async () => {
  await sim?.close();
});

const models = async (query: string) => fetchJson(`${sim.apiUrl}/api/v1/models${query}`);
const allModelIds = defaultWorld().models.map((model) => model.id).sort();

describe('/models paging', () => {
  it('walks every model with the opaque cursor until nextCursor is absent', async () => {
    const seen: number[] = [];
    let url: string | undefined = `${sim.apiUrl}/api/v1/models?limit=3&sort=Highest%20Rated`;
    let pages = 0;
    while (url) {
      const { status, json } = await fetchJson(url);
      expect(status).toBe(200);
      const page = json as Page;
      seen.push(...page.items.map((item) => item.id));
      if (page.metadata.nextCursor !== undefined) {
        expect(page.metadata.nextCursor).toMatch(/^\d+\|\d+\|\d+$/);
        expect(page.metadata.nextPage).toContain(`cursor=${encodeURIComponent(String(page.metadata.nextCursor))}`);
        expect(page.metadata.nextPage).toContain('sort=Highest%20Rated');
      }
      url = page.metadata.nextPage as string | undefined;
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(allModelIds.length / 3));
    expect([...seen].sort()).toEqual(allModelIds);
  });

  it('page paging reports currentPage and pageSize and keeps page in nextPage', async () => {
    const { json } = await models('?limit=4&page=2');
    const page = json as Page;
    expect(page.metadata).toMatchObject({ currentPage: 2, pageSize: 4 });
    expect(page.items).toHaveLength(4);
    expect(String(page.metadata.nextPage)).toMatch(/[?&]page=2&.*cursor=/);
  });

  it('refuses deep page paging with the real 429 body, and page with query with 400', async () => {
    expect(await models('?limit=100&page=11')).toMatchObject({ status: 429, json: { error: "You've requested too many pages, please use cursors instead" } });
    expect(await models('?query=sim&page=1')).toMatchObject({
      status: 400,
      json: { error: 'Cannot use page param with query search. Use cursor-based pagination.' },
    });
  });

  it('search by query pages with a numeric offset cursor', async () => {
    const first = (await models('?query=sim&limit=5')).json as Page;
    expect(first.metadata.nextCursor).toBe('5');
    const second = (await fetchJson(String(first.metadata.nextPage))).json as Page;
    expect(second.items.map((item) => item.id)).not.toContain(first.items[0]?.id);
  });
});

describe('/models filters', () => {
  it('filters by repeated types, ids, baseModels and username', async () => {
    const types = (await models('?types=LORA&types=Controlnet')).json as Page;
    expect(new Set(types.items.map((item) => item.type))).toEqual(new Set(['LORA', 'Controlnet']));
    const ids = (await models(`?ids=${DEFAULT_IDS.vae.modelId},${DEFAULT_IDS.controlnet.modelId}`)).json as Page;
    expect(ids.items.map((item) => item.id).sort()).toEqual([DEFAULT_IDS.vae.modelId, DEFAULT_IDS.controlnet.modelId].sort());
    const sdxl = (await models('?baseModels=SDXL%201.0')).json as Page;
    expect(sdxl.items.map((item) => item.id)).toEqual([DEFAULT_IDS.sdxlLora.modelId]);
    const byUser = (await models('?username=sim_artist')).json as Page;
    expect(byUser.items.length).toBeGreaterThan(0);
  });

  it('rejects an unknown type with a serialized ZodError (400)', async () => {
    const { status, json } = await models('?types=Bogus');
    expect(status).toBe(400);
    expect((json as { error: { name: string } }).error.name).toBe('ZodError');
  });

  it('needs a key for favorites', async () => {
    expect(await models('?favorites=true')).toMatchObject({ status: 401, json: { error: 'Unauthorized' } });
    expect((await fetchJson(`${sim.apiUrl}/api/v1/models?favorites=true`, { authorization: `Bearer ${API_KEY}` })).status).toBe(200);
  });

  it('hides models without the PG bit unless nsfw=true', async () => {
    const world = await startSimulator({
      world: {
        models: [
          { id: 1, name: 'Safe', type: 'LORA', versions: [{ id: 11, name: 'v1', baseModel: 'SD 1.5', files: [{ id: 111, name: 'a.safetensors', content: { format: 'bytes', size: 64 } }] }] },
          { id: 2, name: 'Spicy', type: 'LORA', nsfwLevel: 28, versions: [{ id: 21, name: 'v1', baseModel: 'SD 1.5', files: [{ id: 211, name: 'b.safetensors', content: { format: 'bytes', size: 64 } }] }] },
        ],
      },
    });
    try {
      expect(((await fetchJson(`${world.apiUrl}/api/v1/models`)).json as Page).items.map((i) => i.id)).toEqual([1]);
      expect(((await fetchJson(`${world.apiUrl}/api/v1/models?nsfw=true`)).json as Page).items.map((i) => i.id).sort()).toEqual([1, 2]);
    } finally {
      await world.close();
    }
  });

  it('primaryFileOnly keeps only the primary file', async () => {
    const { json } = await models(`?ids=${DEFAULT_IDS.sd15Checkpoint.modelId}&primaryFileOnly=true`);
    expect((json as Page).items[0]?.modelVersions[0]?.files).toHaveLength(1);
  });
});

describe('by-hash', () => {
  const sha = () => sim.world.file(DEFAULT_IDS.embedding.fileId)?.hashes.SHA256 ?? '';

  it('matches any stored hash type, case-insensitively', async () => {
    const hashes = sim.world.file(DEFAULT_IDS.embedding.fileId)?.hashes ?? {};
    for (const hash of [sha(), sha().toLowerCase(), hashes.AutoV2 ?? '', hashes.CRC32 ?? '', (hashes.AutoV1 ?? '').toLowerCase()]) {
      const { status, json } = await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/${hash}`);
      expect(status, hash).toBe(200);
      expect((json as { id: number }).id).toBe(DEFAULT_IDS.embedding.versionId);
    }
  });

  it('has no prefix matching; unknown is 404 Model not found; empty is 400', async () => {
    expect(await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/${sha().slice(0, 20)}`)).toMatchObject({ status: 404, json: { error: 'Model not found' } });
    expect(await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/${'0'.repeat(64)}`)).toMatchObject({ status: 404, json: { error: 'Model not found' } });
    expect(await fetchJson(`${sim.apiUrl}/api/v1/model-versions/by-hash/`)).toMatchObject({ status: 400, json: { error: 'Missing hash' } });
  });

  it('returns the oldest published version when several files share a hash', async () => {
    const shared = { SHA256: 'AB'.repeat(32) };
    const file = (id: number) => ({ id, name: `f${id}.safetensors`, content: { format: 'bytes' as const, size: 16 }, hashes: shared });
    const world = await startSimulator({
      world: {
        models: [
          {
            id: 1,
            name: 'Twice',
            type: 'LORA',
            versions: [
              { id: 12, name: 'v2', baseModel: 'SD 1.5', publishedAt: '2025-02-01T00:00:00.000Z', files: [file(121)] },
              { id: 11, name: 'v1', baseModel: 'SD 1.5', publishedAt: '2025-01-01T00:00:00.000Z', files: [file(111)] },
              { id: 10, name: 'draft', baseModel: 'SD 1.5', publishedAt: '2024-01-01T00:00:00.000Z', status: 'Draft', files: [file(101)] },
            ],
          },
        ],
      },
    });
    try {
      const { json } = await fetchJson(`${world.apiUrl}/api/v1/model-versions/by-hash/${shared.SHA256.toLowerCase()}`);
      expect((json as { id: number }).id).toBe(11);
    } finally {
      await world.close();
    }
  });

  it('POST by-hash returns the versions found and silently drops the rest', async () => {
    const lora = sim.world.file(DEFAULT_IDS.sdxlLora.fileId)?.hashes.SHA256 ?? '';
    const answer = await fetchRaw(`${sim.apiUrl}/api/v1/model-versions/by-hash`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([sha().toLowerCase(), lora, 'F'.repeat(64)]),
    });
    expect(answer.status).toBe(200);
    const versions = JSON.parse(answer.body.toString()) as { id: number; files: unknown[] }[];
    expect(versions.map((v) => v.id).sort()).toEqual([DEFAULT_IDS.sdxlLora.versionId, DEFAULT_IDS.embedding.versionId].sort());
    expect(versions[0]?.files.length).toBeGreaterThan(0);
  });

  it('POST by-hash refuses a body that is not an array of SHA256 strings', async () => {
    for (const body of ['{"hash":1}', JSON.stringify(['abc']), 'not json', JSON.stringify(Array(101).fill('A'.repeat(64)))]) {
      const answer = await fetchRaw(`${sim.apiUrl}/api/v1/model-versions/by-hash`, { method: 'POST', body });
      expect(answer.status, body.slice(0, 20)).toBe(400);
      expect(JSON.parse(answer.body.toString()).error).toMatch(/^Request must include an array of SHA256 Hashes\./);
    }
  });

  it('POST by-hash/ids maps hashes to version ids', async () => {
    const answer = await fetchRaw(`${sim.apiUrl}/api/v1/model-versions/by-hash/ids`, { method: 'POST', body: JSON.stringify([sha().toLowerCase()]) });
    expect(JSON.parse(answer.body.toString())).toEqual([{ modelVersionId: DEFAULT_IDS.embedding.versionId, hash: sha() }]);
    expect(header(answer, 'content-type')).toBe('application/json; charset=utf-8');
  });
});

describe('/images', () => {
  it('lists a model version images with cursor paging', async () => {
    const first = await fetchJson(`${sim.apiUrl}/api/v1/images?modelId=${DEFAULT_IDS.sd15Checkpoint.modelId}&limit=2`);
    const page = first.json as { items: { id: number; meta: unknown }[]; metadata: { nextCursor?: number; nextPage?: string } };
    expect(page.items.map((i) => i.id)).toEqual([4001, 4002]);
    expect(page.items[0]?.meta).toBeNull();
    const rest = await fetchJson(String(page.metadata.nextPage));
    const second = rest.json as typeof page;
    expect(second.items.map((i) => i.id)).toEqual([4003]);
    expect(second.metadata.nextCursor).toBeUndefined();
  });
});
