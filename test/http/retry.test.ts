import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { err, ok } from 'neverthrow';
import { backoffDelayMs, isRetryable, jitteredBackoffMs, parseRetryAfter, retryDelayMs, retrying, type RetryPolicy } from '../../src/http/retry.js';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs as jobRetryDelayMs } from '../../src/events/download.decider.js';
import { backoffDelayMs as transferBackoffMs } from '../../src/transfer/retry.js';
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

describe('one backoff for requests, transfers and job retries', () => {
  it('doubles a window from the first pause up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => jitteredBackoffMs(n, 100, 1_000, 'upper-half', () => 1))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('spreads full jitter over [0, window) and upper-half jitter over [window/2, window]', () => {
    expect(jitteredBackoffMs(3, 100, 1_000, 'full', () => 0)).toBe(0);
    expect(jitteredBackoffMs(3, 100, 1_000, 'full', () => 0.999)).toBe(399);
    expect(jitteredBackoffMs(3, 100, 1_000, 'upper-half', () => 0)).toBe(200);
    expect(jitteredBackoffMs(3, 100, 1_000, 'upper-half', () => 0.5)).toBe(300);
  });

  it('is what the transfer and the job decider use', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
    for (const n of [1, 2, 6, 12]) {
      expect(transferBackoffMs(n, policy, () => 0.25)).toBe(jitteredBackoffMs(n, 500, 30_000, 'upper-half', () => 0.25));
      expect(jobRetryDelayMs(n, DEFAULT_RETRY_SCHEDULE, 0.25))
        .toBe(Math.round(jitteredBackoffMs(n, DEFAULT_RETRY_SCHEDULE.firstDelayMs, DEFAULT_RETRY_SCHEDULE.maxDelayMs, 'upper-half', () => 0.25)));
    }
  });
});

describe('retrying', () => {
  const failure = (code: string, retryAfterMs?: number) => ({ code, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

  it('tries again after each transient failure, with the pauses the policy gives, until an answer comes', async () => {
    const answers = [err(failure('SERVER')), err(failure('RATE_LIMITED', 1500)), ok('done')];
    const waits: number[] = [];
    const result = await retrying(async () => answers.shift()!, policy, () => 0.5, async (ms) => { waits.push(ms); });
    expect(result._unsafeUnwrap()).toBe('done');
    expect(waits).toEqual([50, 1500]);
  });

  it('gives up at once on a failure no retry can fix, and after the policy\'s attempts on transient ones', async () => {
    let tries = 0;
    const permanent = await retrying(async () => { tries++; return err(failure('NOT_FOUND')); }, policy, () => 0, async () => undefined);
    expect([permanent._unsafeUnwrapErr().code, tries]).toEqual(['NOT_FOUND', 1]);
    tries = 0;
    const transient = await retrying(async () => { tries++; return err(failure('NETWORK')); }, policy, () => 0, async () => undefined);
    expect([transient._unsafeUnwrapErr().code, tries]).toEqual(['NETWORK', policy.maxAttempts]);
  });
});
