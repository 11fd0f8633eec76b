import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/project-root.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_KEY, fetchRaw, header, type Answer } from './support.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const auth = { authorization: `Bearer ${API_KEY}` };
const real401 = JSON.parse(readFileSync(join(projectRoot(), 'fixtures', 'civitai', 'error-401.json'), 'utf8')) as unknown;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY });
});
afterAll(async () => {
  await sim?.close();
});

const download = (versionId: number | string, query = '', headers: Record<string, string> = auth, method: 'GET' | 'HEAD' = 'GET'): Promise<Answer> =>
  fetchRaw(`${sim.apiUrl}/api/download/models/${versionId}${query}`, { headers, method });
const bodyOf = (answer: Answer): unknown => JSON.parse(answer.body.toString());
const servedName = (answer: Answer): string | null => new URL(header(answer, 'location') ?? '').searchParams.get('response-content-disposition');

describe('download decision table (API client)', () => {
  it('needs a key for every download by default: 401 with the real body', async () => {
    const answer = await download(DEFAULT_IDS.sdxlLora.versionId, '', {});
    expect(answer.status).toBe(401);
    expect(bodyOf(answer)).toEqual(real401);
    expect((await download(DEFAULT_IDS.sdxlLora.versionId, '', { authorization: 'Bearer not-the-key' })).status).toBe(401);
  });

  it('accepts the key as Bearer, as any scheme word, or as ?token=', async () => {
    expect((await download(DEFAULT_IDS.sdxlLora.versionId)).status).toBe(307);
    expect((await download(DEFAULT_IDS.sdxlLora.versionId, '', { authorization: `Token ${API_KEY}` })).status).toBe(307);
    expect((await download(DEFAULT_IDS.sdxlLora.versionId, `?token=${API_KEY}`, {})).status).toBe(307);
  });

  it('early access: 403 with the deadline, even with a key', async () => {
    const answer = await download(DEFAULT_IDS.earlyAccess.versionId);
    expect(answer.status).toBe(403);
    const body = bodyOf(answer) as { error: string; deadline: string; message: string };
    expect(body).toEqual({ error: 'Early Access', deadline: body.deadline, message: 'This asset is in Early Access. You can use Buzz access it now!' });
    expect(Date.parse(body.deadline)).toBeGreaterThan(Date.now());
    expect(body.deadline).toBe(sim.world.version(DEFAULT_IDS.earlyAccess.versionId)?.earlyAccessEndsAt);
  });

  it('archived: 410; unknown version: 404 File not found; bad params: 400', async () => {
    expect(await download(DEFAULT_IDS.archived.versionId).then(bodyOf)).toEqual({ error: 'Model archived, not available for download' });
    expect((await download(DEFAULT_IDS.archived.versionId)).status).toBe(410);
    const unknown = await download(999_999);
    expect([unknown.status, bodyOf(unknown)]).toEqual([404, { error: 'File not found' }]);
    expect((await download(DEFAULT_IDS.sdxlLora.versionId, '?type=Bogus')).status).toBe(400);
    expect((await download('abc')).status).toBe(400);
  });

  it('answers HEAD with 401 even with a valid key (clients must probe with a ranged GET)', async () => {
    expect((await download(DEFAULT_IDS.sdxlLora.versionId, '', auth, 'HEAD')).status).toBe(401);
  });

  it('generation-only versions: 401 downloads disabled', async () => {
    const world = await startSimulator({
      apiKey: API_KEY,
      world: {
        models: [{ id: 1, name: 'Gen', type: 'LORA', versions: [{ id: 2, name: 'v1', baseModel: 'SD 1.5', usageControl: 'Generation', files: [{ id: 3, name: 'g.safetensors', content: { format: 'bytes', size: 8 } }] }] }],
      },
    });
    try {
      const answer = await fetchRaw(`${world.apiUrl}/api/download/models/2`, { headers: auth });
      expect([answer.status, bodyOf(answer)]).toEqual([401, { error: 'Unauthorized', message: 'The creator of this asset has disabled downloads on this file' }]);
    } finally {
      await world.close();
    }
  });
});

describe('download decision table (browser)', () => {
  it('redirects an anonymous browser to the login page', async () => {
    const answer = await download(DEFAULT_IDS.loginRequired.versionId, '', { 'user-agent': BROWSER });
    expect(answer.status).toBe(307);
    expect(header(answer, 'location')).toBe(`/login?returnUrl=%2Fmodel-versions%2F${DEFAULT_IDS.loginRequired.versionId}&reason=download-auth`);
  });

  it('redirects early access to the version page and sends other errors as bare text', async () => {
    const early = await download(DEFAULT_IDS.earlyAccess.versionId, '', { ...auth, 'user-agent': BROWSER });
    expect([early.status, header(early, 'location')]).toEqual([307, `/model-versions/${DEFAULT_IDS.earlyAccess.versionId}`]);
    const archived = await download(DEFAULT_IDS.archived.versionId, '', { ...auth, 'user-agent': BROWSER });
    expect(archived.status).toBe(410);
    expect(header(archived, 'content-type')).toMatch(/^text\/html/);
    expect(archived.body.toString()).toBe('Model archived, not available for download');
  });
});

describe('file selection', () => {
  const ckpt = DEFAULT_IDS.sd15Checkpoint;

  it('serves the primary file without parameters', async () => {
    expect(servedName(await download(ckpt.versionId))).toBe('attachment; filename="simRealistic_v10.safetensors"');
  });

  it('serves the file the downloadUrl parameters describe, or the one fileId names', async () => {
    expect(servedName(await download(ckpt.versionId, '?type=Model&format=PickleTensor&size=full&fp=fp32'))).toBe('attachment; filename="simRealistic_v10.ckpt"');
    expect(servedName(await download(ckpt.versionId, '?format=PickleTensor'))).toBe('attachment; filename="simRealistic_v10.ckpt"');
    expect(servedName(await download(ckpt.versionId, `?fileId=${ckpt.pickleFileId}`))).toBe('attachment; filename="simRealistic_v10.ckpt"');
  });

  it('answers 404 when the best file does not have every requested property', async () => {
    expect((await download(ckpt.versionId, '?format=GGUF')).status).toBe(404);
    expect((await download(ckpt.versionId, '?format=SafeTensor&fp=bf16')).status).toBe(404);
    expect((await download(ckpt.versionId, '?type=VAE')).status).toBe(404);
    expect((await download(ckpt.versionId, '?fileId=1')).status).toBe(404);
  });
});

describe('anonymous downloads when the simulator has no key', () => {
  it('serves ordinary versions to anyone, but login-required ones to nobody', async () => {
    const open = await startSimulator();
    try {
      expect((await fetchRaw(`${open.apiUrl}/api/download/models/${DEFAULT_IDS.sdxlLora.versionId}`)).status).toBe(307);
      expect((await fetchRaw(`${open.apiUrl}/api/download/models/${DEFAULT_IDS.loginRequired.versionId}`)).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});
