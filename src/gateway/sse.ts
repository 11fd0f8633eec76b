import { displayStrings } from '../lib/terminal-text.js';

/**
 * One Server-Sent Events message. `data` is JSON on one line (JSON.stringify never emits raw newlines), its strings
 * without control characters, like every other answer to the app.
 */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data, displayStrings)}\n\n`;
}

/**
 * Where a stream starts: an EventSource that reconnects sends the id of the last event it saw, and takes up right
 * after it; a first connection may ask for a position with `?from=`. Neither: only what happens from now on.
 */
export function streamStart(fromParam: string | null, lastEventId: string | undefined): number | undefined {
  const whole = (s: string | null | undefined) => (s !== null && s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : undefined);
  const last = whole(lastEventId);
  if (last !== undefined) return last + 1;
  return whole(fromParam);
}

export interface ProgressFrame {
  readonly jobId: string;
  readonly [key: string]: unknown;
}

export interface ProgressThrottle {
  push(frame: ProgressFrame): void;
  /** Sends what is pending now: called before an event so that progress never arrives after its job's next event. */
  flush(): void;
  stop(): void;
}

/**
 * The daemon reports progress per written chunk, far more often than a progress bar can show. Per job, the first
 * frame goes out at once and later ones at most every `intervalMs`, always the latest.
 */
export function createProgressThrottle(intervalMs: number, emit: (frame: ProgressFrame) => void): ProgressThrottle {
  const pending = new Map<string, ProgressFrame>();
  const lastSent = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const now = Date.now();
    for (const frame of pending.values()) {
      lastSent.set(frame.jobId, now);
      emit(frame);
    }
    pending.clear();
  };

  return {
    push(frame) {
      const since = Date.now() - (lastSent.get(frame.jobId) ?? 0);
      if (since >= intervalMs && !pending.has(frame.jobId)) {
        lastSent.set(frame.jobId, Date.now());
        emit(frame);
        return;
      }
      pending.set(frame.jobId, frame);
      timer ??= setTimeout(flush, Math.max(0, intervalMs - since));
    },
    flush,
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
