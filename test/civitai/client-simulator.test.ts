import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Agent, interceptors, request } from 'undici';
import type { Result } from 'neverthrow';
import { createCivitaiClient, type CivitaiClient } from '../../src/civitai/client.js';
import type { CivitaiError, CivitaiErrorCode } from '../../src/civitai/errors.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';

const KEY = 'civitai-test-key-5d41402abc4b2a76';
const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 };
const ids = DEFAULT_IDS;
const GEN_ONLY = { modelId: 7000, versionId: 7001, fileId: 7002 };
const BULK_MODEL_IDS = Array.from({ length: 120 }, (_, i) => 8000 + i);

let sim: Simulator;
let client: CivitaiClient;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  sim.world.addModel({
    id: GEN_ONLY.modelId, name: 'Sim Generation Only', type: 'LORA',
    versions: [{
      id: GEN_ONLY.versionId, name: 'v1', baseModel: 'SDXL 1.0', usageControl: 'Generation',
      files: [{ id: GEN_ONLY.fileId, name: 'gen-only.safetensors', content: { format: 'bytes', size: 16 } }],
    }],
  });
  // Enough models to need two /models?ids= calls and three search pages; the first is rated R, not PG.
  for (const [i, modelId] of BULK_MODEL_IDS.entries()) {
    sim.world.addModel({
      id: modelId, name: `Sim Pose ${i}`, type: 'Poses', nsfwLevel: i === 0 ? 4 : 1,
      versions: [{ id: 20_000 + i, name: 'v1', baseModel: 'Other', files: [{ id: 30_000 + i, name: `pose-${i}.zip`, content: { format: 'bytes', size: 16 } }] }],
    });
  }
  client = createCivitaiClient({ baseUrl: sim.apiUrl, apiKey: KEY, retry: fast });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.clearFaults();
});

/** Runs `call` and returns its result with the requests it made. */
async function traced<T>(call: () => PromiseLike<Result<T, CivitaiError>>) {
  const before = sim.requests.length;
  const result = await call();
  return { result, requests: sim.requests.slice(before) };
}

function expectError<T>(result: Result<T, CivitaiError>, code: CivitaiErrorCode): CivitaiError {
  expect(result.isErr(), `expected ${code}, got a success`).toBe(true);
  const error = result._unsafeUnwrapErr();
  expect(error.code, error.message).toBe(code);
  expect(error.message).not.toContain(KEY);
  return error;
}

describe('metadata methods', () => {
  it('getModel returns the model with its versions', async () => {
    const model = (await client.getModel(ids.twoVersionLora.modelId))._unsafeUnwrap();
    expect(model.id).toBe(ids.twoVersionLora.modelId);
    expect(model.modelVersions.map((v) => v.id).sort()).toEqual([ids.twoVersionLora.olderVersionId, ids.twoVersionLora.newerVersionId].sort());
  });

  it('getModelVersion returns the version with model{} and the advertised hashes', async () => {
    const version = (await client.getModelVersion(ids.sd15Checkpoint.versionId))._unsafeUnwrap();
    expect(version.modelId).toBe(ids.sd15Checkpoint.modelId);
    expect(version.model.type).toBe('Checkpoint');
    const file = version.files.find((f) => f.id === ids.sd15Checkpoint.fileId);
    expect(file?.hashes.SHA256).toBe(sim.world.file(ids.sd15Checkpoint.fileId)?.hashes.SHA256);
  });

  it('getVersionByHash finds a version by any-case SHA-256, and an unknown hash is NOT_FOUND', async () => {
    const sha = sim.world.file(ids.vae.fileId)?.hashes.SHA256 ?? '';
    expect((await client.getVersionByHash(sha.toLowerCase()))._unsafeUnwrap().id).toBe(ids.vae.versionId);
    expectError(await client.getVersionByHash('0'.repeat(64)), 'NOT_FOUND');
  });

  it('getVersionsByHashes sends at most 100 hashes per request', async () => {
    const known = [ids.vae.fileId, ids.sdxlLora.fileId, ids.embedding.fileId].map((id) => sim.world.file(id)?.hashes.SHA256 ?? '');
    const unknown = Array.from({ length: 147 }, (_, i) => i.toString(16).padStart(64, 'a'));
    const { result, requests } = await traced(() => client.getVersionsByHashes([...unknown.slice(0, 120), ...known, ...unknown.slice(120)]));
    expect(result._unsafeUnwrap().map((v) => v.id).sort()).toEqual([ids.vae.versionId, ids.sdxlLora.versionId, ids.embedding.versionId].sort());
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(Array(2).fill('POST /api/v1/model-versions/by-hash'));
  });

  it('getModels fetches any number of ids, 100 per request, NSFW included', async () => {
    const { result, requests } = await traced(() => client.getModels({ ids: BULK_MODEL_IDS }));
    expect(result._unsafeUnwrap().map((m) => m.id).sort()).toEqual(BULK_MODEL_IDS);
    expect(requests).toHaveLength(2);
    const first = new URL(requests[0]?.url ?? '', sim.apiUrl).searchParams;
    expect(first.get('ids')?.split(',')).toHaveLength(100);
    expect(first.get('nsfw')).toBe('true');
  });

  it('searchModels pages with cursors until nextCursor is absent', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = (await client.searchModels({ types: ['Poses'], nsfw: true, limit: 50, sort: 'Newest', ...(cursor ? { cursor } : {}) }))._unsafeUnwrap();
      seen.push(...page.items.map((m) => m.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual(BULK_MODEL_IDS);
  });

  it('searchModels sends repeated filters and the text query', async () => {
    const { result, requests } = await traced(() => client.searchModels({ query: 'ink', types: ['LORA', 'Checkpoint'], baseModels: ['SDXL 1.0'] }));
    expect(result._unsafeUnwrap().items.map((m) => m.id)).toEqual([ids.sdxlLora.modelId]);
    const query = new URL(requests[0]?.url ?? '', sim.apiUrl).searchParams;
    expect(query.getAll('types')).toEqual(['LORA', 'Checkpoint']);
    expect(query.get('query')).toBe('ink');
  });
});

describe('resolveDownload', () => {
  it('returns the signed storage URL and file name, sending the key to the API host only', async () => {
    const { result, requests } = await traced(() => client.resolveDownload(ids.sd15Checkpoint.versionId));
    const resolved = result._unsafeUnwrap();
    expect(resolved.url.startsWith(`${sim.storageUrl}/`)).toBe(true);
    expect(resolved.fileName).toBe('simRealistic_v10.safetensors');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ host: 'api', url: `/api/download/models/${ids.sd15Checkpoint.versionId}` });
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(resolved.url).not.toContain(KEY);

    // The URL is self-authorising: it serves the exact bytes without any credential.
    const storage = await request(resolved.url, { headers: { range: 'bytes=0-15' } });
    expect(storage.statusCode).toBe(206);
    expect(Buffer.from(await storage.body.arrayBuffer())).toEqual(sim.fileBytes(ids.sd15Checkpoint.fileId, 0, 16));
    expect(sim.requests.filter((r) => r.host === 'storage' && r.headers.authorization !== undefined)).toEqual([]);
  });

  it('never follows the redirect, even through a redirect-following dispatcher', async () => {
    const dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));
    const following = createCivitaiClient({ baseUrl: sim.apiUrl, apiKey: KEY, retry: fast, dispatcher });
    const { result, requests } = await traced(() => following.resolveDownload(ids.vae.versionId));
    expect(result._unsafeUnwrap().url.startsWith(sim.storageUrl)).toBe(true);
    expect(requests.map((r) => r.host)).toEqual(['api']);
    await dispatcher.close();
  });

  it('selects a file by id or by metadata', async () => {
    const byId = await client.resolveDownload(ids.sd15Checkpoint.versionId, { fileId: ids.sd15Checkpoint.pickleFileId });
    expect(byId._unsafeUnwrap().fileName).toBe('simRealistic_v10.ckpt');
    const byFormat = await client.resolveDownload(ids.sd15Checkpoint.versionId, { type: 'Model', format: 'PickleTensor' });
    expect(byFormat._unsafeUnwrap().fileName).toBe('simRealistic_v10.ckpt');
    expectError(await client.resolveDownload(ids.sd15Checkpoint.versionId, { format: 'GGUF' }), 'NOT_FOUND');
  });

  it('drops an unsafe file name but still returns the URL', async () => {
    sim.addFault({ kind: 'hostile-name', name: '../../etc/passwd' });
    const resolved = (await client.resolveDownload(ids.vae.versionId))._unsafeUnwrap();
    expect(resolved.url.startsWith(sim.storageUrl)).toBe(true);
    expect(resolved.fileName).toBeUndefined();
  });

  it('is UNAUTHORIZED without a key, or with a wrong one', async () => {
    const anonymous = createCivitaiClient({ baseUrl: sim.apiUrl, retry: fast });
    const { result, requests } = await traced(() => anonymous.resolveDownload(ids.vae.versionId));
    expect(expectError(result, 'UNAUTHORIZED').message).toContain('comfyui-dl config set-key');
    expect(requests[0]?.headers.authorization).toBeUndefined();
    const wrongKey = 'wrong-key-0123456789';
    const wrong = createCivitaiClient({ baseUrl: sim.apiUrl, apiKey: wrongKey, retry: fast });
    const error = expectError(await wrong.resolveDownload(ids.loginRequired.versionId), 'UNAUTHORIZED');
    expect(error.message).toMatch(/did not accept the API key/);
    expect(error.message).not.toContain(wrongKey);
  });

  it('maps early access, archived and generation-only versions', async () => {
    const early = expectError(await client.resolveDownload(ids.earlyAccess.versionId), 'EARLY_ACCESS');
    const deadline = sim.world.version(ids.earlyAccess.versionId)?.earlyAccessEndsAt;
    expect(early).toMatchObject({ deadline, status: 403 });
    expect(early.message).toContain(`until ${deadline}`);
    expectError(await client.resolveDownload(ids.archived.versionId), 'GONE');
    expectError(await client.resolveDownload(GEN_ONLY.versionId), 'FORBIDDEN');
    expectError(await client.resolveDownload(999_999), 'NOT_FOUND');
  });

  it('never takes a 200 HTML login page for the file', async () => {
    sim.addFault({ kind: 'html-login' });
    expect(expectError(await client.resolveDownload(ids.vae.versionId), 'HTML_RESPONSE').message).toMatch(/login page/);
  });

  it('retries the per-account download counter 429, then reports it', async () => {
    sim.addFault({ kind: 'status', status: 429, target: 'download', times: Infinity });
    const { result, requests } = await traced(() => client.resolveDownload(ids.vae.versionId));
    const error = expectError(result, 'RATE_LIMITED');
    expect(error.message).toMatch(/unusual amount of downloading/);
    expect(requests).toHaveLength(fast.maxAttempts);
  });
});

describe('API errors', () => {
  it('NOT_FOUND for unknown models and versions', async () => {
    expect(expectError(await client.getModel(999_999), 'NOT_FOUND').message).toContain('No model with id 999999');
    expectError(await client.getModelVersion(999_999), 'NOT_FOUND');
  });

  it('FORBIDDEN for 403 and 451', async () => {
    sim.addFault({ kind: 'status', status: 403, target: 'api' });
    expectError(await client.getModel(ids.vae.modelId), 'FORBIDDEN');
    sim.addFault({ kind: 'status', status: 451, target: 'api' });
    expect(expectError(await client.getModel(ids.vae.modelId), 'FORBIDDEN').message).toMatch(/region/);
  });

  it('retries 429 without Retry-After and succeeds', async () => {
    sim.addFault({ kind: 'status', status: 429, target: 'api', times: 2 });
    const { result, requests } = await traced(() => client.getModel(ids.vae.modelId));
    expect(result._unsafeUnwrap().id).toBe(ids.vae.modelId);
    expect(requests).toHaveLength(3);
  });

  it('honours a short Retry-After and gives up at once on one beyond the ceiling', async () => {
    sim.addFault({ kind: 'status', status: 429, target: 'api', retryAfter: 0 });
    expect((await client.getModel(ids.vae.modelId)).isOk()).toBe(true);
    sim.addFault({ kind: 'status', status: 429, target: 'api', retryAfter: 60, times: Infinity });
    const { result, requests } = await traced(() => client.getModel(ids.vae.modelId));
    expect(expectError(result, 'RATE_LIMITED')).toMatchObject({ retryAfterMs: 60_000 });
    expect(requests).toHaveLength(1);
  });

  it.each([500, 502, 503, 524])('retries %i, and reports SERVER when it persists', async (status) => {
    sim.addFault({ kind: 'status', status, target: 'api' });
    expect((await client.getModelVersion(ids.vae.versionId)).isOk()).toBe(true);
    sim.addFault({ kind: 'status', status, target: 'api', times: Infinity });
    const { result, requests } = await traced(() => client.getModelVersion(ids.vae.versionId));
    expect(expectError(result, 'SERVER')).toMatchObject({ status });
    expect(requests).toHaveLength(fast.maxAttempts);
  });

  it('a Cloudflare challenge is HTML_RESPONSE and not retried', async () => {
    sim.addFault({ kind: 'cloudflare', times: Infinity });
    const { result, requests } = await traced(() => client.getModelVersion(ids.vae.versionId));
    expect(expectError(result, 'HTML_RESPONSE').message).toMatch(/Cloudflare/);
    expect(requests).toHaveLength(1);
    const download = await traced(() => client.resolveDownload(ids.vae.versionId));
    expectError(download.result, 'HTML_RESPONSE');
  });

  it("an HTML 404 from a wrong base URL is HTML_RESPONSE, not JSON", async () => {
    const misconfigured = createCivitaiClient({ baseUrl: `${sim.apiUrl}/civitai`, apiKey: KEY, retry: fast });
    expect(expectError(await misconfigured.getModel(ids.vae.modelId), 'HTML_RESPONSE').message).toMatch(/base URL/);
  });
});
