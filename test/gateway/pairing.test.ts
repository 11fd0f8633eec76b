import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { createPairings, isExtensionOrigin } from '../../src/gateway/pairing.js';
import { parsePairingCode } from '../../src/lib/pairing-code.js';
import { apiCall, fakeAppDir, portOf, send } from './support.js';

const CHROME = `chrome-extension://${'a'.repeat(32)}`;
const OTHER_CHROME = `chrome-extension://${'b'.repeat(32)}`;
const FIREFOX = 'moz-extension://0f0e0d0c-0b0a-4908-8706-050403020100';

describe('pairing the browser extension (pure rules)', () => {
  it('knows extension origins from web ones', () => {
    expect([CHROME, FIREFOX].every(isExtensionOrigin)).toBe(true);
    for (const origin of ['http://127.0.0.1:8000', 'https://civitai.com', 'null', `chrome-extension://${'z'.repeat(32)}`, `${CHROME}.evil.example`, undefined]) {
      expect(isExtensionOrigin(origin), String(origin)).toBe(false);
    }
  });

  it('takes a code once, forgives how it is typed, and ties the token to the origin that paired', () => {
    const pairings = createPairings(undefined);
    const { code } = pairings.newCode(43125);
    expect(code).toMatch(/^43125-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(parsePairingCode(` ${code.toLowerCase().replace(/-(?=[^-]*$)/, '')} `)).toEqual({ port: 43125, secret: code.slice(6).replace('-', '') });
    const paired = pairings.pair(CHROME, code.toLowerCase(), 'Chromium');
    expect(paired.ok).toBe(true);
    const token = paired.ok ? paired.token : '';
    expect(pairings.verify(CHROME, token)).toBe(true);
    expect(pairings.verify(OTHER_CHROME, token)).toBe(false);
    expect(pairings.verify(CHROME, `${token}x`)).toBe(false);
    expect(pairings.verify(CHROME, undefined)).toBe(false);
    // Spent: the same code pairs nobody else.
    expect(pairings.pair(OTHER_CHROME, code, 'x')).toMatchObject({ ok: false, error: { code: 'BAD_CODE' } });
    expect(pairings.remove(CHROME)).toBe(true);
    expect(pairings.verify(CHROME, token)).toBe(false);
  });

  it('voids a code after five wrong tries or five minutes, and never pairs a web origin', () => {
    let now = 0;
    const pairings = createPairings(undefined, () => now);
    const { code } = pairings.newCode(1);
    for (let i = 0; i < 5; i++) expect(pairings.pair(CHROME, '1-AAAA-AAAA', 'x').ok).toBe(false);
    expect(pairings.pair(CHROME, code, 'x').ok).toBe(false);
    const late = pairings.newCode(1).code;
    now += 5 * 60_000 + 1;
    expect(pairings.pair(CHROME, late, 'x').ok).toBe(false);
    const fresh = pairings.newCode(1).code;
    expect(pairings.pair('http://127.0.0.1:9999', fresh, 'x')).toMatchObject({ ok: false, error: { code: 'NOT_AN_EXTENSION' } });
  });

  it('keeps pairings and the port in a file only its user can read, and no token in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-pairing-'));
    try {
      const file = join(dir, 'state', 'browser-extensions.json');
      const first = createPairings(file);
      first.rememberPort(43125);
      const paired = first.pair(FIREFOX, first.newCode(43125).code, 'Firefox');
      const token = paired.ok ? paired.token : '';
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(token);
      const again = createPairings(file);
      expect(again.lastPort()).toBe(43125);
      expect(again.verify(FIREFOX, token)).toBe(true);
      expect(again.list()).toEqual([{ origin: FIREFOX, name: 'Firefox', pairedAt: expect.any(String) }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the extension routes of the gateway', () => {
  let gateway: Gateway;
  let port: number;
  let appDir: string;
  const ext = (path: string, origin: string | null, body: unknown, token?: string) =>
    send({
      port,
      path: `/api/ext/${path}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const newCode = async (): Promise<string> => (JSON.parse((await apiCall(port, gateway.token, 'ui/pairing.start')).body) as { result: { code: string } }).result.code;

  beforeAll(async () => {
    appDir = fakeAppDir();
    gateway = (await startGateway({ socket: join(appDir, 'no-daemon.sock'), staticDir: appDir, host: '127.0.0.1', port: 0 }))._unsafeUnwrap();
    port = portOf(gateway.url);
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(appDir, { recursive: true, force: true });
  });

  it('gives pairing codes to the app only, and lets no web page, no stranger and no other extension in', async () => {
    expect((await send({ port, path: '/api/ui/pairing.start', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const code = await newCode();
    // Web pages (the very sites the extension works on among them), pages without an Origin, and `null`.
    for (const origin of ['https://civitai.com', 'http://127.0.0.1:1234', `http://127.0.0.1:${port}`, 'null', null]) {
      const r = await ext('pair', origin, { code });
      expect(r.status, String(origin)).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    const paired = await ext('pair', CHROME, { code, name: 'Chromium' });
    expect(paired.status).toBe(200);
    expect(paired.headers['access-control-allow-origin']).toBe(CHROME);
    const { token } = (JSON.parse(paired.body) as { result: { token: string } }).result;

    expect((await ext('hello', CHROME, {}, token)).status).toBe(200);
    // Another extension with the stolen token, and the paired one without it: refused.
    expect(JSON.parse((await ext('hello', OTHER_CHROME, {}, token)).body)).toMatchObject({ ok: false, error: { code: 'NOT_PAIRED' } });
    expect((await ext('add', CHROME, { version: 1 })).status).toBe(403);
    // The session token of the app is no key to the extension routes, nor the extension's to the app's.
    expect((await ext('add', 'https://civitai.com', { version: 1 }, gateway.token)).status).toBe(403);
    expect((await send({ port, path: '/api/status', method: 'POST', headers: { 'content-type': 'application/json', origin: CHROME, authorization: `Bearer ${token}` }, body: '{}' })).status).toBe(403);
    // The paired extension can queue, and nothing else: the daemon is down here, so the answer says that.
    const add = await ext('add', CHROME, { version: 2001 }, token);
    expect(JSON.parse(add.body)).toMatchObject({ ok: false, error: { code: 'DAEMON_UNREACHABLE' } });
    expect((await ext('status', CHROME, {}, token)).status).toBe(404);
    // A path that leaves /api/ext/ once normalised is not an extension route: the app's checks apply to it.
    expect((await ext('../status', CHROME, {}, token)).status).toBe(403);
    expect((await ext('../ui/pairing.start', CHROME, {}, token)).status).toBe(403);
    // The app lists it, and unpairing shuts it out.
    const info = JSON.parse((await apiCall(port, gateway.token, 'ui/extension.info')).body) as { result: { extensions: { origin: string }[] } };
    expect(info.result.extensions.map((e) => e.origin)).toEqual([CHROME]);
    await apiCall(port, gateway.token, 'ui/pairing.remove', { origin: CHROME });
    expect(JSON.parse((await ext('add', CHROME, { version: 2001 }, token)).body)).toMatchObject({ ok: false, error: { code: 'NOT_PAIRED' } });
  });

  it('answers a CORS preflight for extension origins only, and still checks the Host', async () => {
    const preflight = await send({ port, path: '/api/ext/add', method: 'OPTIONS', headers: { origin: CHROME, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    expect((await send({ port, path: '/api/ext/add', method: 'OPTIONS', headers: { origin: 'https://civitai.com' } })).status).toBe(403);
    const rebound = await send({ port, path: '/api/ext/pair', method: 'POST', headers: { host: `evil.example:${port}`, origin: CHROME, 'content-type': 'application/json' }, body: JSON.stringify({ code: await newCode() }) });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'FORBIDDEN_HOST' } });
  });
});
