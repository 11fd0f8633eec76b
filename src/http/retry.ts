// When and how long to wait before trying again: the one backoff of API requests, transfers and job retries, and
// the one reading of Retry-After. Pure: the caller supplies randomness and time.
import type { Result } from 'neverthrow';

/** Any source's failure: the codes RATE_LIMITED, SERVER and NETWORK are transient in every client. */
export interface RetryableError {
  readonly code: string;
  readonly retryAfterMs?: number;
}

export interface RetryPolicy {
  /** Total tries, the first one included. */
  readonly maxAttempts: number;
  /** The backoff window of the first retry; it doubles on each further retry. */
  readonly baseDelayMs: number;
  /** Cap of the backoff window. */
  readonly maxDelayMs: number;
  /**
   * A server asking for a longer pause than this is not waited for in-process: the error is returned with its
   * retryAfterMs so the caller can reschedule the work instead of holding a request open.
   */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date (a past date means now). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse also accepts bare numbers and odd forms; an HTTP date always names a weekday or month.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * How a backoff window is spread: `full`, anywhere in [0, window), for API requests (many callers, short pauses);
 * `upper-half`, in [window/2, window], for transfers and job retries, which should never go again at once and whose
 * connections, failing together, should not retry together.
 */
export type Jitter = 'full' | 'upper-half';

/** Capped exponential backoff: the n-th retry in a row (1-based) waits within min(cap, first·2^(n-1)). */
export function jitteredBackoffMs(retry: number, firstMs: number, capMs: number, jitter: Jitter, random: () => number): number {
  const window = Math.min(capMs, firstMs * 2 ** Math.max(0, retry - 1));
  return jitter === 'full' ? Math.floor(random() * window) : window / 2 + random() * (window / 2);
}

/** An API request's backoff: full jitter, uniform in [0, min(cap, base·2^retryIndex)). */
export function backoffDelayMs(retryIndex: number, policy: RetryPolicy, random: () => number): number {
  return jitteredBackoffMs(retryIndex + 1, policy.baseDelayMs, policy.maxDelayMs, 'full', random);
}

/** Transient failures: rate limits, server errors (5xx, Cloudflare 52x) and the network. */
export function isRetryable(error: RetryableError): boolean {
  return error.code === 'RATE_LIMITED' || error.code === 'SERVER' || error.code === 'NETWORK';
}

/**
 * The pause before the next try after `failures` failed tries, or undefined to give up: the error is not
 * transient, the attempts are used up, or the server asked for a pause beyond the policy's ceiling.
 */
export function retryDelayMs(
  error: RetryableError,
  failures: number,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (!isRetryable(error) || failures >= policy.maxAttempts) return undefined;
  const asked = error.retryAfterMs;
  if (asked !== undefined) return asked <= policy.maxRetryAfterMs ? asked : undefined;
  return backoffDelayMs(failures - 1, policy, random);
}

/**
 * Tries until an answer comes, the failure is not transient, or the policy gives up, pausing between tries as
 * retryDelayMs says. `wait` is the caller's timer (pure here); the last failure is what a caller that gives up sees.
 */
export async function retrying<T, E extends RetryableError>(
  attempt: () => Promise<Result<T, E>>,
  policy: RetryPolicy,
  random: () => number,
  wait: (ms: number) => Promise<unknown>,
): Promise<Result<T, E>> {
  for (let failures = 1; ; failures++) {
    const result = await attempt();
    if (result.isOk()) return result;
    const delay = retryDelayMs(result.error, failures, policy, random);
    if (delay === undefined) return result;
    await wait(delay);
  }
}
