import { Observable } from 'rxjs';
import { categoryOf, type StoredEvent } from '../events/envelope.js';
import type { EventStore, ReadFilter } from './event-store.js';

export function matches(event: StoredEvent, filter: ReadFilter): boolean {
  if (filter.streamId && event.streamId !== filter.streamId) return false;
  if (filter.category && !event.streamId.startsWith(`${filter.category}-`) && event.streamId !== filter.category) return false;
  if (filter.categories && filter.categories.length > 0 && !filter.categories.includes(categoryOf(event.streamId))) return false;
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  if (filter.excludeTypes?.includes(event.type)) return false;
  return true;
}

export type LiveItem = { readonly kind: 'event'; readonly event: StoredEvent } | { readonly kind: 'caught_up'; readonly position: number };

/**
 * Every event after `from`, in order, exactly once: listens to the commit feed first (holding what it brings), then
 * pages through the table until a short page, then hands over the held batches and goes live. Everything is
 * filtered by position, so an event both read by a page and held from the feed is delivered once, and none can
 * fall between the last page and the feed whatever the store does between two awaits.
 */
export function liveFrom(store: EventStore, from: number, filter: ReadFilter = {}, pageSize = 1000): Observable<LiveItem> {
  return new Observable<LiveItem>((subscriber) => {
    let last = from;
    let stopped = false;
    let held: (readonly StoredEvent[])[] | undefined = [];

    const deliver = (events: readonly StoredEvent[]): void => {
      for (const e of events) {
        if (e.position <= last) continue;
        last = e.position;
        if (matches(e, filter)) subscriber.next({ kind: 'event', event: e });
      }
    };
    const live = store.commits$.subscribe((batch) => (held ? held.push(batch) : deliver(batch)));

    const catchUp = async (): Promise<void> => {
      for (;;) {
        if (stopped) return;
        const page = await store.readAll({ after: last, limit: pageSize, ...filter });
        const reached = page.at(-1)?.position;
        deliver(page);
        if (page.length < pageSize) break;
        // A filtered page skips non-matching positions: move past them too.
        if (reached !== undefined) last = Math.max(last, reached);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // A short page means nothing else matches up to the head as it was when the page was read.
      const head = await store.head();
      const pending = held ?? [];
      held = undefined;
      for (const batch of pending) deliver(batch);
      last = Math.max(last, head);
      if (!stopped) subscriber.next({ kind: 'caught_up', position: last });
    };

    setImmediate(() => void catchUp().catch((e: unknown) => subscriber.error(e)));
    return () => {
      stopped = true;
      live.unsubscribe();
    };
  });
}
