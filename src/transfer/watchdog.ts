import type { StallDetector } from './stall.js';

/** Checks every running connection for stalls, pokes the durability sync and reports progress. */
export class Watchdog {
  readonly #watched = new Map<StallDetector, (reason: string) => void>();
  readonly #timer: NodeJS.Timeout;

  constructor(tickMs: number, onTick: () => void) {
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const [detector, drop] of this.#watched) {
        const reason = detector.check(now);
        if (reason !== undefined) drop(reason);
      }
      onTick();
    }, tickMs);
  }

  watch(detector: StallDetector, drop: (reason: string) => void): () => void {
    this.#watched.set(detector, drop);
    return () => this.#watched.delete(detector);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
