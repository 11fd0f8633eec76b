import type { EventJson, JobJson } from '../../../src/ipc/protocol.js';
import { call, eventsUrl, onConnectionError } from './api.js';
import type { LinkState } from './connection.js';
import { linkStateOf } from './connection.js';
import type { LiveProgress } from './job-row.js';
import { addSample, speedOf, type Sample } from './speed.js';

type ProgressFrame = { jobId: string; bytesDone: number; bytesTotal: number | null };

/**
 * The app's one event stream: the daemon's events, each changed job's JSON, and transfer progress, as they
 * happen. It starts at the log's head: the Timeline pages back through history itself. Pages read its state and
 * register to hear about events and jobs.
 */
class LiveFeed {
  link = $state<LinkState>('connecting');
  /** The last log position delivered (or the head when the feed started). */
  head = $state(0);
  progress = $state.raw<Record<string, LiveProgress>>({});

  #source: EventSource | undefined;
  #samples = new Map<string, Sample[]>();
  #eventListeners = new Set<(event: EventJson) => void>();
  #jobListeners = new Set<(job: JobJson) => void>();
  #syncListeners = new Set<() => void>();
  /** The daemon said it went away: the error the browser sees next is the stream closing after it, nothing more. */
  #ended = false;

  async start(): Promise<void> {
    if (this.#source) return;
    onConnectionError((error) => this.#noteError(error));
    const status = await call('status');
    if (status.isOk()) this.head = status.value.position;
    const source = new EventSource(eventsUrl(status.isOk() ? status.value.position + 1 : null));
    this.#source = source;
    source.addEventListener('event', (m) => this.#onEvent(JSON.parse((m as MessageEvent<string>).data) as EventJson));
    source.addEventListener('job', (m) => this.#onJob(JSON.parse((m as MessageEvent<string>).data) as JobJson));
    source.addEventListener('caught_up', (m) => {
      this.link = 'live';
      this.head = Math.max(this.head, (JSON.parse((m as MessageEvent<string>).data) as { position: number }).position);
      for (const listener of this.#syncListeners) listener();
    });
    source.addEventListener('progress', (m) => this.#onProgress(JSON.parse((m as MessageEvent<string>).data) as ProgressFrame));
    source.addEventListener('end', (m) => {
      const { error } = JSON.parse((m as MessageEvent<string>).data) as { error: { code: string } | null };
      this.#ended = true;
      this.#goOffline(error === null ? 'connecting' : (linkStateOf(error) ?? 'connecting'));
    });
    source.addEventListener('error', () => {
      if (this.#ended) {
        this.#ended = false;
        return;
      }
      // The stream broke, or a reconnect failed, without the daemon saying goodbye: ask the app server whether it
      // is still there (a failed request tells the connection state which part is down).
      void call('status').then((r) => {
        if (r.isOk() && source.readyState === EventSource.CLOSED) this.#goOffline('connecting');
      });
    });
  }

  #noteError(error: { code: string }): void {
    const state = linkStateOf(error);
    if (state !== null) this.#goOffline(state);
  }

  #goOffline(state: LinkState): void {
    this.link = state;
    // Nothing moves while nobody can tell: no speed, no time left, no progress from before.
    this.#samples.clear();
    this.progress = {};
  }

  /** Called for every event from now on; returns the function that stops it. */
  onEvent(listener: (event: EventJson) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Called with a job's JSON each time an event changed it. */
  onJob(listener: (job: JobJson) => void): () => void {
    this.#jobListeners.add(listener);
    return () => this.#jobListeners.delete(listener);
  }

  /** Called each time the stream is (re)connected and caught up: whatever was shown may be stale. */
  onSync(listener: () => void): () => void {
    this.#syncListeners.add(listener);
    return () => this.#syncListeners.delete(listener);
  }

  #onEvent(event: EventJson): void {
    this.head = Math.max(this.head, event.position);
    for (const listener of this.#eventListeners) listener(event);
  }

  #onJob(job: JobJson): void {
    if (job.state !== 'downloading') this.#forgetProgress(job.id);
    for (const listener of this.#jobListeners) listener(job);
  }

  #forgetProgress(jobId: string): void {
    this.#samples.delete(jobId);
    if (jobId in this.progress) {
      const { [jobId]: _gone, ...rest } = this.progress;
      this.progress = rest;
    }
  }

  #onProgress(frame: ProgressFrame): void {
    const at = Date.now();
    const samples = addSample(this.#samples.get(frame.jobId) ?? [], { at, bytes: frame.bytesDone });
    this.#samples.set(frame.jobId, samples);
    this.progress = { ...this.progress, [frame.jobId]: { bytesDone: frame.bytesDone, bytesTotal: frame.bytesTotal, speed: speedOf(samples), at } };
  }
}

export const live = new LiveFeed();
