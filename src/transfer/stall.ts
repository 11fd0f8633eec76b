export interface StallLimits {
  /** No body byte for this long means the connection is stalled. */
  stallMs: number;
  /** Averaged over windows of stallMs, a slower connection counts as stalled too (a trickle never times out). */
  minBytesPerSecond?: number | undefined;
}

/** Watches one connection's byte arrivals; the caller drives it with its own clock. */
export class StallDetector {
  #lastByteAt: number;
  #windowStart: number;
  #windowBytes = 0;

  constructor(
    private readonly limits: StallLimits,
    now: number,
  ) {
    this.#lastByteAt = now;
    this.#windowStart = now;
  }

  onBytes(bytes: number, now: number): void {
    if (bytes > 0) this.#lastByteAt = now;
    this.#windowBytes += bytes;
  }

  /** A reason to drop the connection, or undefined while it is healthy. */
  check(now: number): string | undefined {
    const { stallMs, minBytesPerSecond } = this.limits;
    if (now - this.#lastByteAt >= stallMs) return `no data for ${(stallMs / 1000).toFixed(1)} s`;
    const elapsed = now - this.#windowStart;
    if (elapsed < stallMs) return undefined;
    const rate = (this.#windowBytes * 1000) / elapsed;
    this.#windowStart = now;
    this.#windowBytes = 0;
    if (minBytesPerSecond !== undefined && rate < minBytesPerSecond) {
      return `${Math.round(rate)} bytes/s, below the minimum of ${minBytesPerSecond} bytes/s`;
    }
    return undefined;
  }
}
