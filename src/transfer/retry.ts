import { z } from 'zod';

export const retryPolicySchema = z.object({
  /** Consecutive failed attempts of a segment without progress before giving up; progress resets the count. */
  maxAttempts: z.number().int().min(1).default(5),
  baseDelayMs: z.number().nonnegative().default(500),
  maxDelayMs: z.number().nonnegative().default(30_000),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

// A server may ask for a long pause, but a download left waiting for hours looks hung.
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Exponential backoff with jitter for the n-th consecutive failure (1-based): a random delay in the upper half
 * of min(cap, base·2^(n-1)), so that connections failing together do not retry together.
 */
export function backoffDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (Number.isNaN(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
