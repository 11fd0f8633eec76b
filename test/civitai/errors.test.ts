import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { errorFromResponse, formatPath, invalidResponse, networkError, redact, type RequestContext } from '../../src/civitai/errors.js';
import { projectRoot } from '../../src/config/project-root.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const anonymous: RequestContext = { what: 'model version 5', keySent: false, secrets: [] };
const keyed: RequestContext = { what: 'model version 5', keySent: true, secrets: [KEY] };
const NOW = Date.parse('2026-01-01T00:00:00Z');
const fixture = (name: string): string => readFileSync(join(projectRoot(), 'fixtures/civitai', name), 'utf8');
const json = (status: number, body: unknown, retryAfter?: string) =>
  ({ status, contentType: 'application/json; charset=utf-8', retryAfter, bodyText: typeof body === 'string' ? body : JSON.stringify(body) });

describe('redact', () => {
  it.each([
    [`https://civitai.com/api/download/models/5?token=${KEY}&type=Model`, 'https://civitai.com/api/download/models/5?token=***&type=Model'],
    [`GET /x?a=1&TOKEN=${KEY}`, 'GET /x?a=1&TOKEN=***'],
    [`Authorization: Bearer ${KEY}`, 'Authorization: ***'],
    [`{"authorization":"Bearer ${KEY}"}`, '{"authorization":"***"}'],
    [`authorization=${KEY}`, 'authorization=***'],
    [`sent bearer ${KEY} to host`, 'sent bearer *** to host'],
    ['https://r2.example/k?X-Amz-Signature=abc123&X-Amz-Credential=cred/1&X-Amz-Expires=86400', 'https://r2.example/k?X-Amz-Signature=***&X-Amz-Credential=***&X-Amz-Expires=86400'],
    ['https://b2.example/file/m?Authorization=4_002sig&b2ContentDisposition=x', 'https://b2.example/file/m?Authorization=***&b2ContentDisposition=x'],
    ['nothing secret here', 'nothing secret here'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('masks a known secret anywhere, raw or URL-encoded', () => {
    expect(redact(`the server echoed ${KEY}!`, [KEY])).toBe('the server echoed ***!');
    expect(redact('q=a%2Fb%3D', ['a/b='])).toBe('q=***');
    expect(redact('unchanged', [''])).toBe('unchanged');
  });
});

describe('errorFromResponse', () => {
  it('401 without a key says to set one', () => {
    const e = errorFromResponse(json(401, fixture('error-401.json')), anonymous, NOW);
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('comfyui-dl config set-key');
    expect(e.message).toContain('requires you to be logged in');
  });

  it('401 with a key says the key was not accepted, without showing it', () => {
    const e = errorFromResponse(json(401, { error: 'Unauthorized', message: `bad key ${KEY}` }), keyed, NOW);
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toMatch(/did not accept the API key/);
    expect(e.message).not.toContain(KEY);
  });

  it('401 for a generation-only resource is FORBIDDEN, not a key problem', () => {
    const body = { error: 'Unauthorized', message: 'The creator of this asset has disabled downloads on this file' };
    expect(errorFromResponse(json(401, body), keyed, NOW).code).toBe('FORBIDDEN');
  });

  it('403 Early Access carries the deadline', () => {
    const body = { error: 'Early Access', deadline: '2026-02-01T00:00:00.000Z', message: 'This asset is in Early Access.' };
    const e = errorFromResponse(json(403, body), keyed, NOW);
    expect(e).toMatchObject({ code: 'EARLY_ACCESS', deadline: '2026-02-01T00:00:00.000Z', status: 403 });
    expect(e.message).toContain('until 2026-02-01T00:00:00.000Z');
    const open = errorFromResponse(json(403, { error: 'Early Access', message: 'x' }), keyed, NOW);
    expect(open.code).toBe('EARLY_ACCESS');
    expect('deadline' in open).toBe(false);
  });

  it('maps the remaining statuses', () => {
    expect(errorFromResponse(json(403, { error: 'Forbidden' }), keyed, NOW).code).toBe('FORBIDDEN');
    expect(errorFromResponse(json(451, { error: 'Access…', code: 'REGION_BLOCKED' }), keyed, NOW).message).toMatch(/region/);
    const missing = errorFromResponse(json(404, fixture('error-404.json')), keyed, NOW);
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('No model with id 0');
    expect(errorFromResponse(json(410, { error: 'Model archived, not available for download' }), keyed, NOW).code).toBe('GONE');
    expect(errorFromResponse(json(400, { error: { issues: [] } }), keyed, NOW).code).toBe('BAD_REQUEST');
    expect(errorFromResponse(json(500, { error: 'Error getting file' }), keyed, NOW).code).toBe('SERVER');
    expect(errorFromResponse({ status: 524, contentType: 'text/html', retryAfter: undefined, bodyText: '<html>timeout</html>' }, keyed, NOW).code).toBe('SERVER');
    expect(errorFromResponse(json(304, ''), keyed, NOW).code).toBe('INVALID_RESPONSE');
  });

  it('429 reads Retry-After in seconds or as a date', () => {
    const plain = errorFromResponse(json(429, fixture('error-429.json')), keyed, NOW);
    expect(plain).toMatchObject({ code: 'RATE_LIMITED' });
    expect('retryAfterMs' in plain).toBe(false);
    expect(errorFromResponse(json(429, {}, '7'), keyed, NOW)).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 7000 });
    expect(errorFromResponse(json(429, {}, 'Thu, 01 Jan 2026 00:00:30 GMT'), keyed, NOW)).toMatchObject({ retryAfterMs: 30_000 });
    expect(errorFromResponse(json(503, {}, '2'), keyed, NOW)).toMatchObject({ code: 'SERVER', retryAfterMs: 2000 });
  });

  it('HTML bodies are never read as JSON', () => {
    const challenge = '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf-chl</body></html>';
    const e = errorFromResponse({ status: 403, contentType: 'text/html; charset=UTF-8', retryAfter: undefined, bodyText: challenge }, keyed, NOW);
    expect(e).toMatchObject({ code: 'HTML_RESPONSE', status: 403 });
    expect(e.message).toMatch(/Cloudflare/);
    const mislabelled = errorFromResponse({ status: 404, contentType: 'application/json', retryAfter: undefined, bodyText: '<html><body>404</body></html>' }, keyed, NOW);
    expect(mislabelled.code).toBe('HTML_RESPONSE');
    expect(mislabelled.message).toMatch(/base URL/);
  });

  it('quotes a plain-text body and clips a long one', () => {
    const e = errorFromResponse({ status: 404, contentType: 'text/plain', retryAfter: undefined, bodyText: 'x'.repeat(1000) }, keyed, NOW);
    expect(e.message.length).toBeLessThan(600);
  });
});

describe('other constructors', () => {
  it('invalidResponse names the offending fields', () => {
    const schema = z.object({ files: z.array(z.object({ sizeKB: z.number() })) });
    const parsed = schema.safeParse({ files: [{ sizeKB: 'big' }] });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const e = invalidResponse(parsed.error, keyed, 200);
    expect(e).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
    expect(e.message).toContain('files[0].sizeKB');
    expect(formatPath([])).toBe('(root)');
  });

  it('networkError keeps the cause and redacts it', () => {
    const cause = Object.assign(new Error(`connect ECONNREFUSED http://h/?token=${KEY}`), { code: 'ECONNREFUSED' });
    const e = networkError(cause, keyed);
    expect(e.code).toBe('NETWORK');
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).not.toContain(KEY);
  });
});
