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
 * Every event after `from`, in order, exactly once: pages from the table until a short page, then switches to the
 * commit feed in the same synchronous stretch (appends are synchronous in this process, so none can fall in
 * between). Live batches are filtered by position, so an event read by a page is never delivered twice.
 */
export function liveFrom(store: EventStore, from: number, filter: ReadFilter = {}, pageSize = 1000): Observable<LiveItem> {
  return new Observable<LiveItem>((subscriber) => {
    let last = from;
    let stopped = false;
    let live: { unsubscribe(): void } | undefined;

    const deliver = (events: readonly StoredEvent[]): void => {
      for (const e of events) {
        if (e.position <= last) continue;
        last = e.position;
        if (matches(e, filter)) subscriber.next({ kind: 'event', event: e });
      }
    };

    const catchUp = (): void => {
      if (stopped) return;
      const page = store.readAll({ after: last, limit: pageSize, ...filter });
      deliver(page);
      if (page.length === pageSize) {
        setImmediate(catchUp);
        return;
      }
      // A short filtered page means nothing else matches up to the head; appends are synchronous, so the head
      // read here and the switch to the commit feed happen with nothing in between.
      last = Math.max(last, store.head());
      live = store.commits$.subscribe({ next: deliver });
      subscriber.next({ kind: 'caught_up', position: last });
    };

    setImmediate(catchUp);
    return () => {
      stopped = true;
      live?.unsubscribe();
    };
  });
}
