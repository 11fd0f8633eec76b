import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_KEY, fetchJson, fetchRaw, header, sha256Hex, signedUrl } from './support.js';

const { sd15Checkpoint } = DEFAULT_IDS;
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY });
});
afterAll(async () => {
  await sim?.close();
});

describe('download endpoint', () => {
  it('answers 307 with a presigned URL on the storage host, never cached', async () => {
    const answer = await fetchRaw(`${sim.apiUrl}/api/download/models/${sd15Checkpoint.versionId}?token=${API_KEY}`);
    expect(answer.status).toBe(307);
    expect(header(answer, 'cache-control')).toBe('no-store, max-age=0');
    expect(header(answer, 'content-disposition')).toBeUndefined();
    const location = new URL(header(answer, 'location') ?? '');
    expect(location.origin).toBe(sim.storageUrl);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(location.searchParams.get('response-content-disposition')).toBe('attachment; filename="simRealistic_v10.safetensors"');
    expect(location.href).toContain('response-content-disposition=attachment%3B%20filename%3D%22simRealistic_v10.safetensors%22');
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // The storage key differs from the served file name, as CivitAI's does, and the key never travels.
    expect(location.pathname).not.toContain('simRealistic_v10.safetensors');
    expect(location.href).not.toContain(API_KEY);
  });

  it('mints a fresh signature on every call', async () => {
    const first = await signedUrl(sim, sd15Checkpoint.versionId);
    await sleep(1100);
    const second = await signedUrl(sim, sd15Checkpoint.versionId);
    expect(new URL(first).searchParams.get('X-Amz-Signature')).not.toBe(new URL(second).searchParams.get('X-Amz-Signature'));
  });
});

describe('storage host', () => {
  it('serves the full file with the headers clients rely on, and its SHA-256 is the advertised one', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const answer = await fetchRaw(url);
    const file = sim.world.file(sd15Checkpoint.fileId);
    expect(answer.status).toBe(200);
    expect(Number(header(answer, 'content-length'))).toBe(file?.sizeBytes);
    expect(header(answer, 'content-type')).toBe('application/octet-stream');
    expect(header(answer, 'accept-ranges')).toBe('bytes');
    expect(header(answer, 'etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(new Date(header(answer, 'last-modified') ?? '').getTime()).toBeGreaterThan(0);
    expect(header(answer, 'content-disposition')).toBe('attachment; filename="simRealistic_v10.safetensors"');
    expect(answer.body.equals(sim.fileBytes(sd15Checkpoint.fileId))).toBe(true);

    const { json } = await fetchJson(`${sim.apiUrl}/api/v1/model-versions/${sd15Checkpoint.versionId}`);
    const advertised = (json as { files: { id: number; hashes: Record<string, string>; sizeKB: number }[] }).files.find((f) => f.id === sd15Checkpoint.fileId);
    expect(sha256Hex(answer.body)).toBe(advertised?.hashes.SHA256);
    expect(advertised?.hashes.AutoV2).toBe(advertised?.hashes.SHA256?.slice(0, 10));
    expect(Math.round((advertised?.sizeKB ?? 0) * 1024)).toBe(answer.body.length);
  });

  it('answers ranges with 206 and Content-Range: N-M, N- and suffix', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const size = sim.world.file(sd15Checkpoint.fileId)?.sizeBytes ?? 0;
    const cases: [string, number, number][] = [
      ['bytes=100-199', 100, 200],
      ['bytes=1048570-1048600', 1_048_570, 1_048_601],
      [`bytes=${size - 10}-`, size - 10, size],
      ['bytes=-16', size - 16, size],
      [`bytes=5-${size + 1000}`, 5, size],
    ];
    for (const [range, start, end] of cases) {
      const answer = await fetchRaw(url, { headers: { range } });
      expect(answer.status, range).toBe(206);
      expect(header(answer, 'content-range'), range).toBe(`bytes ${start}-${end - 1}/${size}`);
      expect(Number(header(answer, 'content-length'))).toBe(end - start);
      expect(answer.body.equals(sim.fileBytes(sd15Checkpoint.fileId, start, end)), range).toBe(true);
    }
  });

  it('answers 416 with the total size for a range past the end', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const size = sim.world.file(sd15Checkpoint.fileId)?.sizeBytes ?? 0;
    const answer = await fetchRaw(url, { headers: { range: `bytes=${size}-` } });
    expect(answer.status).toBe(416);
    expect(header(answer, 'content-range')).toBe(`bytes */${size}`);
  });

  it('honours If-Range only while the ETag (or Last-Modified) still matches', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const first = await fetchRaw(url, { headers: { range: 'bytes=0-9' } });
    const etag = header(first, 'etag') ?? '';
    const lastModified = header(first, 'last-modified') ?? '';
    expect((await fetchRaw(url, { headers: { range: 'bytes=10-19', 'if-range': etag } })).status).toBe(206);
    expect((await fetchRaw(url, { headers: { range: 'bytes=10-19', 'if-range': lastModified } })).status).toBe(206);
    const stale = await fetchRaw(url, { headers: { range: 'bytes=10-19', 'if-range': '"0123456789abcdef0123456789abcdef"' } });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(sim.world.file(sd15Checkpoint.fileId)?.sizeBytes);
  });

  it('rejects a request that carries an Authorization header (400, as R2) and records it', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const answer = await fetchRaw(url, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(answer.status).toBe(400);
    expect(header(answer, 'content-type')).toBe('application/xml');
    expect(answer.body.toString()).toContain('<Code>InvalidRequest</Code>');
    expect(answer.body.toString()).toContain('Missing x-amz-content-sha256');
    const leaked = sim.requests.filter((r) => r.host === 'storage' && r.headers.authorization !== undefined);
    expect(leaked.length).toBeGreaterThan(0);
  });

  it('refuses an edited URL (403 SignatureDoesNotMatch)', async () => {
    const url = new URL(await signedUrl(sim, sd15Checkpoint.versionId));
    url.searchParams.set('response-content-disposition', 'attachment; filename="other.bin"');
    const answer = await fetchRaw(url.href);
    expect(answer.status).toBe(403);
    expect(answer.body.toString()).toContain('SignatureDoesNotMatch');
  });

  it('serves concurrent ranged GETs of one signed URL', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const size = sim.world.file(sd15Checkpoint.fileId)?.sizeBytes ?? 0;
    const quarter = Math.ceil(size / 4);
    const parts = await Promise.all(
      [0, 1, 2, 3].map((i) => fetchRaw(url, { headers: { range: `bytes=${i * quarter}-${Math.min(size, (i + 1) * quarter) - 1}` } })),
    );
    expect(parts.map((p) => p.status)).toEqual([206, 206, 206, 206]);
    expect(Buffer.concat(parts.map((p) => p.body)).equals(sim.fileBytes(sd15Checkpoint.fileId))).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const url = await signedUrl(sim, sd15Checkpoint.versionId);
    const answer = await fetchRaw(url, { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(Number(header(answer, 'content-length'))).toBe(sim.world.file(sd15Checkpoint.fileId)?.sizeBytes);
    expect(answer.body.length).toBe(0);
  });
});

describe('signed URL expiry', () => {
  it('answers 403 AccessDenied "Request has expired" once the TTL has passed', async () => {
    const shortLived = await startSimulator({ apiKey: API_KEY, signedUrlTtlMs: 150 });
    try {
      const url = await signedUrl(shortLived, sd15Checkpoint.versionId);
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('1');
      expect((await fetchRaw(url, { headers: { range: 'bytes=0-0' } })).status).toBe(206);
      await sleep(200);
      const expired = await fetchRaw(url, { headers: { range: 'bytes=0-0' } });
      expect(expired.status).toBe(403);
      expect(expired.body.toString()).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
      // A fresh visit to the download endpoint gives a working URL again.
      expect((await fetchRaw(await signedUrl(shortLived, sd15Checkpoint.versionId), { headers: { range: 'bytes=0-0' } })).status).toBe(206);
    } finally {
      await shortLived.close();
    }
  });
});
