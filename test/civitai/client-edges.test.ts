import { describe, it, expect, afterEach } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCivitaiClient, type CivitaiClientOptions } from '../../src/civitai/client.js';
import { USER_AGENT } from '../../src/config/project-root.js';
import { startScriptedServer, type ScriptedServer } from './scripted-server.js';

const KEY = 'f00dfeedcafe0123456789abcdef0123';
const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 };
let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const clientFor = (s: ScriptedServer, extra: Partial<CivitaiClientOptions> = {}) =>
  createCivitaiClient({ baseUrl: s.url, apiKey: KEY, retry: fast, ...extra });

const version = {
  id: 5, modelId: 4, name: 'v1', baseModel: 'SDXL 1.0', model: { name: 'm', type: 'LORA' },
  files: [{ id: 6, name: 'a.safetensors', sizeKB: 1, type: 'Model', hashes: {} }],
};

describe('client against scripted answers', () => {
  it('sends a descriptive non-browser User-Agent and the key as a Bearer header', async () => {
    server = await startScriptedServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(version)));
    await clientFor(server).getModelVersion(5);
    const ua = server.seen[0]?.headers['user-agent'] ?? '';
    expect(ua).toBe(USER_AGENT);
    expect(ua).toMatch(/^comfyui-dl\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/comfyui-dl\/comfyui-dl\)$/);
    expect(ua).not.toMatch(/mozilla|chrome|safari|firefox|opera|edge/i);
    expect(server.seen[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('refuses a JSON body beyond the size cap', async () => {
    server = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...version, padding: 'x'.repeat(10_000) }));
    });
    const e = (await clientFor(server, { maxBodyBytes: 2048 }).getModelVersion(5))._unsafeUnwrapErr();
    expect(e.code).toBe('INVALID_RESPONSE');
    expect(e.message).toMatch(/larger than 2048 bytes/);
  });

  it('reports malformed JSON and non-JSON content types', async () => {
    server = await startScriptedServer((_req, res, i) => {
      if (i === 0) res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": 5,');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    });
    const client = clientFor(server);
    expect((await client.getModelVersion(5))._unsafeUnwrapErr().message).toMatch(/not valid JSON/);
    const e = (await client.getModelVersion(5))._unsafeUnwrapErr();
    expect(e.code).toBe('INVALID_RESPONSE');
    expect(e.message).toMatch(/text\/plain instead of JSON/);
  });

  it('reports a schema mismatch by field', async () => {
    server = await startScriptedServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...version, files: [{ ...version.files[0], id: 'six' }] })));
    const e = (await clientFor(server).getModelVersion(5))._unsafeUnwrapErr();
    expect(e.code).toBe('INVALID_RESPONSE');
    expect(e.message).toContain('files[0].id');
  });

  it('resolves a relative Location and reads nothing of a 200 file body', async () => {
    server = await startScriptedServer((req, res, i) => {
      if (i === 0) res.writeHead(307, { location: '/bucket/key?response-content-disposition=attachment%3B%20filename%3D%22n.safetensors%22' }).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20) }).end(Buffer.alloc(1 << 20));
      void req;
    });
    const client = clientFor(server);
    expect((await client.resolveDownload(5))._unsafeUnwrap()).toEqual({
      url: `${server.url}/bucket/key?response-content-disposition=attachment%3B%20filename%3D%22n.safetensors%22`,
      fileName: 'n.safetensors',
    });
    const e = (await client.resolveDownload(5))._unsafeUnwrapErr();
    expect(e.code).toBe('INVALID_RESPONSE');
    expect(e.message).toMatch(/instead of a redirect/);
  });

  it('treats browser-style redirects to the login or version page as errors', async () => {
    server = await startScriptedServer((_req, res, i) => {
      const location = ['/login?returnUrl=%2Fmodel-versions%2F5&reason=download-auth', '/model-versions/5', 'ftp://elsewhere/x'][i];
      res.writeHead(307, { location }).end();
    });
    const client = clientFor(server);
    expect((await client.resolveDownload(5))._unsafeUnwrapErr().code).toBe('UNAUTHORIZED');
    expect((await client.resolveDownload(5))._unsafeUnwrapErr().code).toBe('EARLY_ACCESS');
    expect((await client.resolveDownload(5))._unsafeUnwrapErr().message).toMatch(/not an http\(s\) URL/);
  });

  it('retries a transient failure, then succeeds', async () => {
    server = await startScriptedServer((_req, res, i) => {
      if (i === 0) res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
      else if (i === 1) res.destroy();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(version));
    });
    expect((await clientFor(server).getModelVersion(5))._unsafeUnwrap().id).toBe(5);
    expect(server.seen).toHaveLength(3);
  });

  it('rejects bad input without a request', async () => {
    server = await startScriptedServer((_req, res) => res.end());
    const client = clientFor(server);
    expect((await client.getModel(-1))._unsafeUnwrapErr().code).toBe('BAD_REQUEST');
    expect((await client.getVersionByHash('../../etc'))._unsafeUnwrapErr().code).toBe('BAD_REQUEST');
    expect((await client.getVersionsByHashes(['abc']))._unsafeUnwrapErr().code).toBe('BAD_REQUEST');
    expect((await client.resolveDownload(1, { fileId: 0 }))._unsafeUnwrapErr().code).toBe('BAD_REQUEST');
    expect((await client.getVersionsByHashes([]))._unsafeUnwrap()).toEqual([]);
    expect(server.seen).toHaveLength(0);
  });
});

describe('network failures', () => {
  it('is NETWORK after the retries, without the key in the message', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = createCivitaiClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY, retry: fast });
    const e = (await client.getModel(1))._unsafeUnwrapErr();
    expect(e.code).toBe('NETWORK');
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.message).not.toContain(KEY);
  });
});
