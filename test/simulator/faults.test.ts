import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { get } from 'node:http';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_KEY, fetchRaw, header, sha256Hex, signedUrl } from './support.js';

const { sd15Checkpoint, sdxlLora } = DEFAULT_IDS;
const scope = { fileId: sd15Checkpoint.fileId };
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY });
});
afterEach(() => sim.clearFaults());
afterAll(async () => {
  await sim?.close();
});

/** Reads a response with node:http, tolerating a connection that closes mid-body. */
function receive(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; complete: boolean; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), complete: res.complete, ms: Date.now() - started }));
    }).on('error', reject);
  });
}

async function storageUrl(versionId: number = sd15Checkpoint.versionId): Promise<string> {
  return signedUrl(sim, versionId);
}

describe('storage faults', () => {
  it('drop: closes the connection after exactly afterBytes body bytes', async () => {
    sim.addFault({ kind: 'drop', afterBytes: 1_500_000, ...scope });
    const dropped = await receive(await storageUrl());
    expect(dropped.status).toBe(200);
    expect(dropped.complete).toBe(false);
    expect(dropped.body.length).toBe(1_500_000);
    expect(dropped.body.equals(sim.fileBytes(sd15Checkpoint.fileId, 0, 1_500_000))).toBe(true);
    const next = await receive(await storageUrl());
    expect(next.complete).toBe(true);
  });

  it('ignore-range: answers a ranged GET with 200 and the full body', async () => {
    sim.addFault({ kind: 'ignore-range', ...scope });
    const answer = await fetchRaw(await storageUrl(), { headers: { range: 'bytes=100-' } });
    expect(answer.status).toBe(200);
    expect(header(answer, 'content-range')).toBeUndefined();
    expect(answer.body.equals(sim.fileBytes(sd15Checkpoint.fileId))).toBe(true);
  });

  it('corrupt: serves one wrong byte at offset, so the SHA-256 no longer matches', async () => {
    const offset = 2_000_123;
    sim.addFault({ kind: 'corrupt', offset, ...scope });
    const answer = await fetchRaw(await storageUrl());
    const good = sim.fileBytes(sd15Checkpoint.fileId);
    expect(answer.body.length).toBe(good.length);
    expect(answer.body.subarray(0, offset).equals(good.subarray(0, offset))).toBe(true);
    expect(answer.body[offset]).not.toBe(good[offset]);
    expect(answer.body.subarray(offset + 1).equals(good.subarray(offset + 1))).toBe(true);
    expect(sha256Hex(answer.body)).not.toBe(sim.world.file(sd15Checkpoint.fileId)?.hashes.SHA256);
  });

  it('change-etag: new ETag and Last-Modified, so If-Range gets the full body', async () => {
    const url = await storageUrl();
    const before = await fetchRaw(url, { headers: { range: 'bytes=0-0' } });
    sim.addFault({ kind: 'change-etag', ...scope });
    const after = await fetchRaw(url, { headers: { range: 'bytes=1-', 'if-range': header(before, 'etag') ?? '' } });
    expect(after.status).toBe(200);
    expect(header(after, 'etag')).not.toBe(header(before, 'etag'));
    expect(Date.parse(header(after, 'last-modified') ?? '')).toBeGreaterThan(Date.parse(header(before, 'last-modified') ?? ''));
    // Same bytes, as if re-uploaded unchanged.
    expect(after.body.equals(sim.fileBytes(sd15Checkpoint.fileId))).toBe(true);
    const again = await fetchRaw(url, { headers: { range: 'bytes=1-1', 'if-range': header(after, 'etag') ?? '' } });
    expect(again.status).toBe(206);
  });

  it('stall: sends nothing for ms after afterBytes, then the rest', async () => {
    sim.addFault({ kind: 'stall', afterBytes: 1000, ms: 400, ...scope });
    const answer = await receive(await storageUrl(), { range: 'bytes=0-99999' });
    expect(answer.complete).toBe(true);
    expect(answer.body.length).toBe(100_000);
    expect(answer.ms).toBeGreaterThanOrEqual(390);
  });

  it('throttle: caps the connection at bytesPerSecond', async () => {
    sim.addFault({ kind: 'throttle', bytesPerSecond: 400_000, ...scope });
    const answer = await receive(await storageUrl(), { range: 'bytes=0-199999' });
    expect(answer.body.length).toBe(200_000);
    expect(answer.ms).toBeGreaterThanOrEqual(450);
  });

  it('expire-url: 403 AccessDenied "Request has expired" on a valid URL', async () => {
    sim.addFault({ kind: 'expire-url', ...scope });
    const answer = await fetchRaw(await storageUrl());
    expect(answer.status).toBe(403);
    expect(answer.body.toString()).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
  });

  it('status on storage: XML error with Retry-After, counted down by times', async () => {
    sim.addFault({ kind: 'status', status: 503, retryAfter: 3, target: 'storage', times: 2, ...scope });
    const url = await storageUrl();
    const answers = [await fetchRaw(url), await fetchRaw(url), await fetchRaw(url)];
    expect(answers.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(header(answers[0]!, 'retry-after')).toBe('3');
    expect(answers[0]!.body.toString()).toContain('<Code>ServiceUnavailable</Code>');
  });

  it('a fault narrowed to one file leaves the others alone; Infinity keeps applying until cleared', async () => {
    sim.addFault({ kind: 'status', status: 500, target: 'storage', times: Infinity, ...scope });
    expect((await fetchRaw(await storageUrl(sdxlLora.versionId))).status).toBe(200);
    expect((await fetchRaw(await storageUrl())).status).toBe(500);
    expect((await fetchRaw(await storageUrl())).status).toBe(500);
    sim.clearFaults();
    expect((await fetchRaw(await storageUrl())).status).toBe(200);
  });
});

describe('API host faults', () => {
  it('status on api: JSON error with Retry-After', async () => {
    sim.addFault({ kind: 'status', status: 429, retryAfter: 7, target: 'api' });
    const answer = await fetchRaw(`${sim.apiUrl}/api/v1/models`);
    expect(answer.status).toBe(429);
    expect(header(answer, 'retry-after')).toBe('7');
    expect(header(answer, 'content-type')).toBe('application/json; charset=utf-8');
    expect((await fetchRaw(`${sim.apiUrl}/api/v1/models`)).status).toBe(200);
  });

  it('status on api without retryAfter sends no Retry-After; 451 carries the region-block body', async () => {
    sim.addFault({ kind: 'status', status: 451, target: 'api' });
    const answer = await fetchRaw(`${sim.apiUrl}/api/v1/models/${sd15Checkpoint.modelId}`);
    expect(answer.status).toBe(451);
    expect(header(answer, 'retry-after')).toBeUndefined();
    expect(JSON.parse(answer.body.toString())).toEqual({
      error: 'Access to this service is not available in your region due to legal restrictions.',
      code: 'REGION_BLOCKED',
    });
  });

  it('status on download narrowed by versionId', async () => {
    sim.addFault({ kind: 'status', status: 429, target: 'download', versionId: sd15Checkpoint.versionId });
    const auth = { authorization: `Bearer ${API_KEY}` };
    expect((await fetchRaw(`${sim.apiUrl}/api/download/models/${sdxlLora.versionId}`, { headers: auth })).status).toBe(307);
    const limited = await fetchRaw(`${sim.apiUrl}/api/download/models/${sd15Checkpoint.versionId}`, { headers: auth });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body.toString()).error).toMatch(/unusual amount of downloading/);
  });

  it('html-login: the download endpoint answers 200 text/html', async () => {
    sim.addFault({ kind: 'html-login' });
    const answer = await fetchRaw(`${sim.apiUrl}/api/download/models/${sd15Checkpoint.versionId}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(answer.status).toBe(200);
    expect(header(answer, 'content-type')).toMatch(/^text\/html/);
    expect(answer.body.toString()).toMatch(/<html/i);
  });

  it('cloudflare: 403 HTML challenge, on metadata and downloads unless narrowed', async () => {
    sim.addFault({ kind: 'cloudflare', times: 2 });
    const metadata = await fetchRaw(`${sim.apiUrl}/api/v1/models`);
    const download = await fetchRaw(`${sim.apiUrl}/api/download/models/${sd15Checkpoint.versionId}?token=${API_KEY}`);
    for (const answer of [metadata, download]) {
      expect(answer.status).toBe(403);
      expect(header(answer, 'content-type')).toMatch(/^text\/html/);
      expect(header(answer, 'cf-mitigated')).toBe('challenge');
      expect(answer.body.toString()).toContain('Just a moment...');
    }
    sim.addFault({ kind: 'cloudflare', target: 'download' });
    expect((await fetchRaw(`${sim.apiUrl}/api/v1/models`)).status).toBe(200);
    expect((await fetchRaw(`${sim.apiUrl}/api/download/models/${sd15Checkpoint.versionId}?token=${API_KEY}`)).status).toBe(403);
  });

  it('hostile-name: the signed URL and Content-Disposition carry the hostile file name', async () => {
    sim.addFault({ kind: 'hostile-name', name: '../../etc/x', ...scope });
    const url = await storageUrl();
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe('attachment; filename="../../etc/x"');
    const answer = await fetchRaw(url, { headers: { range: 'bytes=0-0' } });
    expect(header(answer, 'content-disposition')).toBe('attachment; filename="../../etc/x"');
    expect(new URL(await storageUrl()).searchParams.get('response-content-disposition')).toBe('attachment; filename="simRealistic_v10.safetensors"');
  });
});
