// The shared pieces of src/http/retry.ts that the transfer, the job decider and both API clients use.
import { describe, it, expect } from 'vitest';
import { err, ok } from 'neverthrow';
import { jitteredBackoffMs, retrying, type RetryPolicy } from '../../src/http/retry.js';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs as jobRetryDelayMs } from '../../src/events/download.decider.js';
import { backoffDelayMs as transferBackoffMs } from '../../src/transfer/retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

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
