import { z } from 'zod';
import { jitteredBackoffMs, parseRetryAfter } from '../http/retry.js';

export const retryPolicySchema = z.object({
  /** Consecutive failed attempts of a segment without progress before giving up; progress resets the count. */
  maxAttempts: z.number().int().min(1).default(5),
  baseDelayMs: z.number().nonnegative().default(500),
  maxDelayMs: z.number().nonnegative().default(30_000),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

// A server may ask for a long pause, but a download left waiting for hours looks hung.
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** The n-th consecutive failure's pause (1-based), in the upper half of min(cap, base·2^(n-1)). */
export function backoffDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return jitteredBackoffMs(failures, policy.baseDelayMs, policy.maxDelayMs, 'upper-half', random);
}

/** Retry-After in ms from `now`, at most MAX_RETRY_AFTER_MS; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined, now: number): number | undefined {
  const ms = parseRetryAfter(value, now);
  return ms === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, ms);
}
