import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { apiCall, fakeAppDir, portOf, send } from './support.js';

describe('gateway security (no daemon behind it)', () => {
  let gateway: Gateway;
  let other: Gateway;
  let port: number;
  let appDir: string;

  beforeAll(async () => {
    appDir = fakeAppDir();
    writeFileSync(join(appDir, '..', 'outside-the-app.txt'), 'secret');
    const socket = join(appDir, 'no-daemon.sock');
    gateway = (await startGateway({ socket, staticDir: appDir, host: '127.0.0.1', port: 0 }))._unsafeUnwrap();
    other = (await startGateway({ socket, staticDir: appDir, port: 0 }))._unsafeUnwrap();
    port = portOf(gateway.url);
  });
  afterAll(async () => {
    await gateway?.close();
    await other?.close();
    rmSync(join(appDir, '..', 'outside-the-app.txt'), { force: true });
    rmSync(appDir, { recursive: true, force: true });
  });

  it('listens on loopback only, with a fresh 256-bit token per launch', () => {
    expect(new URL(gateway.url).hostname).toBe('127.0.0.1');
    expect(gateway.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(other.token).not.toBe(gateway.token);
    expect(gateway.launchUrl).toBe(`${gateway.url}#token=${gateway.token}`);
  });

  it('serves the app to its own hosts, with a strict content policy and no CORS', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      const r = await send({ port, path: '/', headers: { host } });
      expect(r.status, host).toBe(200);
      expect(r.body).toContain('<title>comfyui-dl</title>');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses foreign Host headers (DNS rebinding) with 403, app and API alike', async () => {
    const hosts = [`evil.example:${port}`, `:${port}`, `localhost.evil.example:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`, `[::1]:${port}`];
    for (const host of hosts) {
      for (const path of ['/', '/api/status', `/api/events?token=${gateway.token}`]) {
        const r = await send({ port, path, method: path === '/api/status' ? 'POST' : 'GET', headers: { host, authorization: `Bearer ${gateway.token}` } });
        expect(r.status, `${String(host)} ${path}`).toBe(403);
        expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_HOST' } });
      }
    }
    // Node itself answers 400 to an HTTP/1.1 request without Host, before the gateway sees it.
    expect((await send({ port, path: '/', headers: { host: null } })).status).toBe(400);
    // A rebinding page carries its own name in Origin too: matching Host and Origin is still foreign.
    const rebound = await apiCall(port, gateway.token, 'status', {}, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    expect(rebound.status).toBe(403);
  });

  it('refuses foreign origins, Origin: null and cross-site fetches with 403', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const r = await apiCall(port, gateway.token, 'status', {}, { origin });
      expect(r.status, origin).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN_ORIGIN');
    }
    const events = await send({ port, path: `/api/events?token=${gateway.token}`, headers: { origin: 'https://evil.example' } });
    expect(events.status).toBe(403);
    const crossSite = await apiCall(port, gateway.token, 'status', {}, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
  });

  it('answers 401 to a missing, wrong or previous-launch token', async () => {
    const noToken = await apiCall(port, gateway.token, 'status', {}, { authorization: null });
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect((await apiCall(port, 'x'.repeat(43), 'status')).status).toBe(401);
    expect((await apiCall(port, other.token, 'status')).status).toBe(401);
    expect((await apiCall(port, gateway.token, 'status', {}, { authorization: `Basic ${gateway.token}` })).status).toBe(401);
    // The query form is for EventSource and <img> only, never for API calls.
    expect((await send({ port, path: `/api/status?token=${gateway.token}`, method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await send({ port, path: '/api/events' })).status).toBe(401);
    expect((await send({ port, path: `/api/events?token=${other.token}` })).status).toBe(401);
    expect((await send({ port, path: '/api/preview?path=a.safetensors' })).status).toBe(401);
  });

  it('forwards only methods of the protocol table: anything else is 404', async () => {
    for (const method of ['nope', 'events.subscribe', 'events.unsubscribe', 'constructor', '__proto__', 'hasOwnProperty', '']) {
      const r = await apiCall(port, gateway.token, method);
      expect(r.status, method).toBe(404);
    }
    expect(JSON.parse((await apiCall(port, gateway.token, 'nope')).body).error.code).toBe('UNKNOWN_METHOD');
  });

  it('takes JSON objects only, of bounded size (no form posts, no huge bodies)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await apiCall(port, gateway.token, 'queue', {}, { 'content-type': type });
      expect(r.status, type).toBe(415);
    }
    expect((await send({ port, path: '/api/queue', method: 'POST', headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' }, body: '{nope' })).status).toBe(400);
    expect((await apiCall(port, gateway.token, 'queue', [1, 2])).status).toBe(400);
    const huge = await apiCall(port, gateway.token, 'add', { ref: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    // A workflow's list of model files may be larger, up to what the daemon's frame takes (here: no daemon, 503).
    const workflow = (bytes: number) => ({ models: [{ name: 'n'.repeat(bytes), directory: 'loras', usedBy: [] }] });
    expect((await apiCall(port, gateway.token, 'workflow.check', workflow(200_000))).status).toBe(503);
    expect((await apiCall(port, gateway.token, 'workflow.check', workflow(1_000_000))).status).toBe(413);
    expect((await apiCall(port, gateway.token, 'status', {}, {})).status).not.toBe(413);
    expect((await send({ port, path: '/api/status', headers: { authorization: `Bearer ${gateway.token}` } })).status).toBe(405);
  });

  it('says the daemon is unreachable (503) rather than failing obscurely', async () => {
    const r = await apiCall(port, gateway.token, 'status');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'DAEMON_UNREACHABLE' } });
    const events = await send({ port, path: `/api/events?token=${gateway.token}` });
    expect(events.status).toBe(200);
    expect(events.body).toContain('event: end');
    expect(events.body).toContain('DAEMON_UNREACHABLE');
  });

  it('trades the one-time launch code for the token once, and only same-origin', async () => {
    const code = new URL(gateway.openUrl).hash.replace('#launch=', '');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(gateway.openUrl).not.toContain(gateway.token);
    const exchange = (launch: string, headers: Record<string, string | null> = {}) =>
      send({ port, path: '/api/session', method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ launch }) });
    expect((await exchange(code, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await exchange(code, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await exchange('nope')).status).toBe(401);
    const first = await exchange(code, { origin: `http://127.0.0.1:${port}` });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ ok: true, result: { token: gateway.token } });
    // Whoever read the browser's command line after the page started gets nothing.
    const again = await exchange(code);
    expect(again.status).toBe(401);
    expect(again.body).not.toContain(gateway.token);
  });

  it('serves nothing outside the app folder', async () => {
    for (const path of ['/../outside-the-app.txt', '/%2e%2e/outside-the-app.txt', '/..%2foutside-the-app.txt', '/%00', '/nope.js']) {
      const r = await send({ port, path });
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('secret');
    }
    expect((await send({ port, path: '/', method: 'POST' })).status).toBe(405);
  });
});
