import type { EventJson } from '../../../src/ipc/protocol.js';
import { call, eventsUrl } from './api.js';
import { addSample, speedOf, type Sample } from './speed.js';

export interface LiveProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number | null;
  readonly speed: number | null;
}

/** How much recent history the timeline starts with (chunk writes make up most of a busy log). */
const BACKLOG = 2000;
const KEEP = 600;
const KEEP_CHUNKS = 200;
const TRANSFER_OVER = new Set(['download.transfer_completed', 'download.paused', 'download.failed', 'download.cancelled', 'download.placed']);

/**
 * The app's one event stream: the daemon's events and transfer progress, as they happen. Pages read its state
 * and register to hear about events (to refresh what they show).
 */
class LiveFeed {
  connected = $state(false);
  /** Why the stream is down, in words, while it is. */
  problem = $state<string | null>(null);
  /** Recent events, oldest first, without chunk writes: those are kept apart, fewer, so they cannot crowd out the rest. */
  events = $state.raw<EventJson[]>([]);
  chunkWrites = $state.raw<EventJson[]>([]);
  progress = $state.raw<Record<string, LiveProgress>>({});

  #source: EventSource | undefined;
  #samples = new Map<string, Sample[]>();
  #listeners = new Set<(event: EventJson) => void>();
  #pending: EventJson[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #syncListeners = new Set<() => void>();

  async start(): Promise<void> {
    if (this.#source) return;
    const status = await call('status');
    const from = status.isOk() ? Math.max(1, status.value.position - BACKLOG + 1) : null;
    if (status.isErr()) this.problem = status.error.message;
    const source = new EventSource(eventsUrl(from));
    this.#source = source;
    source.addEventListener('event', (m) => this.#onEvent(JSON.parse((m as MessageEvent<string>).data) as EventJson));
    source.addEventListener('caught_up', () => {
      this.connected = true;
      this.problem = null;
      for (const listener of this.#syncListeners) listener();
    });
    source.addEventListener('progress', (m) => this.#onProgress(JSON.parse((m as MessageEvent<string>).data) as { jobId: string; bytesDone: number; bytesTotal: number | null }));
    source.addEventListener('end', (m) => {
      const { error } = JSON.parse((m as MessageEvent<string>).data) as { error: { message: string } | null };
      this.connected = false;
      this.problem = error?.message ?? 'the event stream ended';
    });
    source.addEventListener('error', () => {
      this.connected = false;
      // Closed for good means the gateway refused us (token) or is gone; otherwise the browser retries by itself.
      if (source.readyState === EventSource.CLOSED) void call('status').then((r) => r.isErr() && (this.problem = r.error.message));
    });
  }

  /** Called for every event from now on; returns the function that stops it. */
  onEvent(listener: (event: EventJson) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called each time the stream is (re)connected and caught up: whatever was shown may be stale. */
  onSync(listener: () => void): () => void {
    this.#syncListeners.add(listener);
    return () => this.#syncListeners.delete(listener);
  }

  #onEvent(event: EventJson): void {
    this.#pending.push(event);
    // A reconnect replays hundreds of events in a burst: the page redraws once per batch, not per event.
    if (this.#flushTimer === undefined) this.#flushTimer = setTimeout(() => this.#flush(), 50);
    const jobId = event.streamId.startsWith('download-') ? event.streamId.slice('download-'.length) : null;
    if (jobId !== null && TRANSFER_OVER.has(event.type)) {
      // Its measured speed and bytes no longer apply; the job's own state says what happened.
      this.#samples.delete(jobId);
      if (jobId in this.progress) {
        const { [jobId]: _gone, ...rest } = this.progress;
        this.progress = rest;
      }
    }
    for (const listener of this.#listeners) listener(event);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    const chunks = batch.filter((e) => e.type === 'download.chunk_written');
    const others = batch.filter((e) => e.type !== 'download.chunk_written');
    if (chunks.length) this.chunkWrites = [...this.chunkWrites, ...chunks].slice(-KEEP_CHUNKS);
    if (others.length) this.events = [...this.events, ...others].slice(-KEEP);
  }

  #onProgress(frame: { jobId: string; bytesDone: number; bytesTotal: number | null }): void {
    const samples = addSample(this.#samples.get(frame.jobId) ?? [], { at: performance.now(), bytes: frame.bytesDone });
    this.#samples.set(frame.jobId, samples);
    this.progress = { ...this.progress, [frame.jobId]: { bytesDone: frame.bytesDone, bytesTotal: frame.bytesTotal, speed: speedOf(samples) } };
  }
}

export const live = new LiveFeed();
