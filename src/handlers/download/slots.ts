/** Gives a slot back. */
export type Release = () => void;

export interface TransferSlots {
  /** Waits for a free slot, first come first served; undefined when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Release | undefined>;
}

/**
 * How many jobs move bytes at once (`concurrency`). Jobs around them resolve and probe the next files, and verify
 * and place the finished ones, without holding a slot: the connections never wait for that work. The limit is read
 * again whenever a slot is asked for or given back, so a live change takes effect at the next transfer.
 */
export function createTransferSlots(limit: () => Promise<number>): TransferSlots {
  let busy = 0;
  const waiting: Array<{ grant: (release: Release) => void; signal: AbortSignal }> = [];

  const release = (): void => {
    busy -= 1;
    void pump();
  };
  const pump = async (): Promise<void> => {
    const max = await limit();
    while (busy < max && waiting.length > 0) {
      const next = waiting.shift()!;
      if (next.signal.aborted) continue;
      busy += 1;
      next.grant(once(release));
    }
  };

  return {
    acquire(signal) {
      if (signal.aborted) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const entry = {
          signal,
          grant: (r: Release) => {
            signal.removeEventListener('abort', onAbort);
            resolve(r);
          },
        };
        const onAbort = (): void => {
          const at = waiting.indexOf(entry);
          if (at >= 0) waiting.splice(at, 1);
          resolve(undefined);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.push(entry);
        void pump();
      });
    },
  };
}

function once(release: Release): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
