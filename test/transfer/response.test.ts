import { describe, it, expect } from 'vitest';
import { judgeResponse, compareValidator, ifRangeValue } from '../../src/transfer/response.js';
import { network, withoutQueries } from '../../src/transfer/errors.js';

const asked = { start: 100, end: 200, totalBytes: 1000 };
const host = 'storage.example';
const now = Date.parse('2026-01-01T00:00:00Z');
const judge = (status: number, headers: Record<string, string>) => judgeResponse(asked, status, headers, host, now);

describe('judgeResponse', () => {
  it('accepts a 206 with exactly the bytes asked', () => {
    expect(judge(206, { 'content-range': 'bytes 100-199/1000', 'content-length': '100' })).toEqual({ kind: 'partial' });
  });

  it('rejects a 206 with another range, another total, a bad length or no Content-Range', () => {
    for (const headers of <Array<Record<string, string>>>[
      { 'content-range': 'bytes 0-99/1000' },
      { 'content-range': 'bytes 100-199/999' },
      { 'content-range': 'bytes 100-199/1000', 'content-length': '99' },
      {},
    ]) {
      const verdict = judge(206, headers);
      expect(verdict.kind).toBe('fatal');
      if (verdict.kind === 'fatal') expect(verdict.error.code).toBe('SIZE_MISMATCH');
    }
  });

  it('sees a 200 as the whole file, checked against the expected size', () => {
    expect(judge(200, { 'content-length': '1000' })).toEqual({ kind: 'whole' });
    expect(judge(200, { 'content-length': '999' })).toMatchObject({ kind: 'fatal', error: { code: 'SIZE_MISMATCH', actualBytes: 999 } });
  });

  it('never takes an HTML page for file bytes', () => {
    expect(judge(200, { 'content-type': 'text/html; charset=utf-8' })).toMatchObject({ kind: 'fatal', error: { code: 'HTML_RESPONSE' } });
    expect(judge(403, { 'content-type': 'text/html' })).toMatchObject({ kind: 'fatal', error: { code: 'HTML_RESPONSE' } });
  });

  it('asks for a fresh URL on 403/410 from storage', () => {
    expect(judge(403, { 'content-type': 'application/xml' })).toEqual({ kind: 'expired' });
    expect(judge(410, {})).toEqual({ kind: 'expired' });
  });

  it('retries 5xx and 429, honouring Retry-After in seconds or as a date', () => {
    expect(judge(503, { 'retry-after': '3' })).toMatchObject({ kind: 'retry', retryAfterMs: 3000, error: { code: 'HTTP_STATUS', status: 503, retryable: true } });
    expect(judge(429, { 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' })).toMatchObject({ kind: 'retry', retryAfterMs: 5000 });
    expect(judge(502, {})).toMatchObject({ kind: 'retry', retryAfterMs: undefined });
  });

  it('fails for good on other statuses, 416 included', () => {
    expect(judge(404, {})).toMatchObject({ kind: 'fatal', error: { code: 'HTTP_STATUS', status: 404, retryable: false } });
    expect(judge(307, {})).toMatchObject({ kind: 'fatal', error: { code: 'HTTP_STATUS', status: 307 } });
    expect(judge(416, {})).toMatchObject({ kind: 'fatal', error: { code: 'SIZE_MISMATCH' } });
  });
});

describe('validators', () => {
  it('compares ETag and Last-Modified, ignoring what a response leaves out', () => {
    expect(compareValidator(undefined, { etag: '"a"' })).toBe('learned');
    expect(compareValidator({ etag: '"a"' }, { etag: '"a"' })).toBe('same');
    expect(compareValidator({ etag: '"a"' }, {})).toBe('same');
    expect(compareValidator({ etag: '"a"' }, { etag: '"b"' })).toBe('changed');
    expect(compareValidator({ lastModified: 'x' }, { lastModified: 'y' })).toBe('changed');
    expect(compareValidator({ etag: '"a"' }, { etag: '"a"', lastModified: 'x' })).toBe('learned');
  });

  it('never sends a weak ETag in If-Range', () => {
    expect(ifRangeValue({ etag: '"a"', lastModified: 'x' })).toBe('"a"');
    expect(ifRangeValue({ etag: 'W/"a"', lastModified: 'x' })).toBe('x');
    expect(ifRangeValue({ etag: 'W/"a"' })).toBeUndefined();
    expect(ifRangeValue(undefined)).toBeUndefined();
  });
});

describe('error messages', () => {
  it('never carry a query string, even when a library quotes the URL', () => {
    const error = network('r2.example', 'UND_ERR: request to https://r2.example/k?X-Amz-Signature=abc failed', 2);
    expect(error.message).not.toMatch(/X-Amz|abc/);
    expect(withoutQueries("'https://h/p?a=b' and http://h/q?token=t done")).toBe("'https://h/p' and http://h/q done");
  });
});
