// When and how long to wait before retrying a CivitAI (or Hugging Face Hub) request. Pure: the caller supplies
// randomness and time.

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

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^retryIndex)). */
export function backoffDelayMs(retryIndex: number, policy: RetryPolicy, random: () => number): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.floor(random() * window);
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
