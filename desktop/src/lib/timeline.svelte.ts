import type { EventJson } from '../../../src/ipc/protocol.js';
import { call } from './api.js';
import { groupOfStream, TIMELINE_GROUPS, type TimelineGroup } from './event-summary.js';
import { live } from './live.svelte.js';

const PAGE = 100;
const CHUNK = 'download.chunk_written';
/** Before every position: the first page is the newest events, whatever the feed has seen yet. */
const NEWEST = Number.MAX_SAFE_INTEGER;

/**
 * The timeline: newest first, live at the top, and paged back through the whole log on request (keyset paging
 * on the log position, so a page never repeats or skips an event however much is appended meanwhile). Filters are
 * applied by the daemon, so an old event of a rare kind is as reachable as a recent one. Kept across page changes.
 */
class TimelineState {
  filter = $state<TimelineGroup | 'all'>('all');
  /** Every fdatasync'ed chunk is an event: useful for forensics, noise for reading. */
  showChunks = $state(false);
  events = $state.raw<EventJson[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The oldest page came back short: there is nothing older. */
  reachedStart = $state(false);
  #generation = 0;
  #listening = false;

  #matches(event: EventJson): boolean {
    if (!this.showChunks && event.type === CHUNK) return false;
    return this.filter === 'all' || groupOfStream(event.streamId) === this.filter;
  }

  /** Starts over with the current filters, from the newest event. */
  async reload(): Promise<void> {
    if (!this.#listening) {
      this.#listening = true;
      live.onEvent((event) => this.#onLive(event));
    }
    this.#generation += 1;
    this.events = [];
    this.reachedStart = false;
    await this.#page(NEWEST);
  }

  /** The page before the oldest event shown. */
  async older(): Promise<void> {
    await this.#page(this.events.at(-1)?.position ?? NEWEST);
  }

  async #page(before: number): Promise<void> {
    const generation = this.#generation;
    this.loading = true;
    const result = await call('history', {
      before,
      limit: PAGE,
      categories: this.filter === 'all' ? undefined : [...TIMELINE_GROUPS[this.filter]],
      excludeTypes: this.showChunks ? undefined : [CHUNK],
    });
    if (generation !== this.#generation) return;
    this.loading = false;
    result.match(
      ({ events }) => {
        // Live events may have arrived while the page was on its way: one list, newest first, each event once.
        const known = new Set(this.events.map((e) => e.position));
        this.events = [...this.events, ...events.filter((e) => !known.has(e.position))].sort((a, b) => b.position - a.position);
        this.reachedStart = events.length < PAGE;
        this.error = null;
      },
      (error) => (this.error = error.message),
    );
  }

  #onLive(event: EventJson): void {
    if (!this.#matches(event) || this.events.some((e) => e.position === event.position)) return;
    this.events = [event, ...this.events].sort((a, b) => b.position - a.position);
  }
}

export const timeline = new TimelineState();
