import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { backoffDelayMs, isRetryable, parseRetryAfter, retryDelayMs, type RetryPolicy } from '../../src/http/retry.js';
import type { CivitaiError } from '../../src/civitai/errors.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
const NOW = Date.parse('2026-01-01T00:00:00Z');
const e = (code: CivitaiError['code'], extra: object = {}): CivitaiError => ({ code, message: 'm', ...extra }) as CivitaiError;

describe('parseRetryAfter', () => {
  it.each([
    [undefined, undefined],
    ['0', 0],
    ['2', 2000],
    [' 120 ', 120_000],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('backoff', () => {
  it('doubles the window up to the cap, with full jitter', () => {
    expect(backoffDelayMs(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(20, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  it('stays within [0, cap) for any attempt and random draw', () => {
    fc.assert(fc.property(fc.nat(60), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
      const d = backoffDelayMs(n, policy, () => r);
      return Number.isInteger(d) && d >= 0 && d < policy.maxDelayMs;
    }));
  });
});

describe('retryDelayMs', () => {
  it('retries only transient failures', () => {
    for (const code of ['RATE_LIMITED', 'SERVER', 'NETWORK'] as const) expect(isRetryable(e(code))).toBe(true);
    for (const code of ['UNAUTHORIZED', 'EARLY_ACCESS', 'FORBIDDEN', 'NOT_FOUND', 'GONE', 'BAD_REQUEST', 'HTML_RESPONSE', 'INVALID_RESPONSE'] as const) {
      expect(isRetryable(e(code))).toBe(false);
      expect(retryDelayMs(e(code), 1, policy, () => 0.5)).toBeUndefined();
    }
  });

  it('stops after maxAttempts tries', () => {
    expect(retryDelayMs(e('SERVER'), 3, policy, () => 0.5)).toBe(200);
    expect(retryDelayMs(e('SERVER'), 4, policy, () => 0.5)).toBeUndefined();
  });

  it('honours Retry-After up to the ceiling, and gives up beyond it', () => {
    expect(retryDelayMs(e('RATE_LIMITED', { retryAfterMs: 3000 }), 1, policy, () => 0)).toBe(3000);
    expect(retryDelayMs(e('SERVER', { retryAfterMs: 2000 }), 1, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(e('RATE_LIMITED', { retryAfterMs: 60_000 }), 1, policy, () => 0)).toBeUndefined();
    expect(retryDelayMs(e('RATE_LIMITED'), 1, policy, () => 0.5)).toBe(50);
  });
});
