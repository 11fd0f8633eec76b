// Desktop notifications for what happens from now on: updates found, downloads done or failed. Each one sent
// is recorded as `notification.sent` under its key, so no restart or replay ever sends it twice.
import { concatMap, EMPTY, from, type Subscription } from 'rxjs';
import type { Log } from '../../lib/log.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { Notifier } from '../../notify/notifier.js';
import type { OpenedDatabase } from '../../store/database.js';
import type { EventStore } from '../../store/event-store.js';
import { liveFrom } from '../../store/live.js';
import { viewQueries } from '../../views/queries.js';
import { NOTIFYING_EVENT_TYPES, notificationFor, type NotificationFacts } from './notification-for-event.js';

export interface NotificationsDeps {
  store: EventStore;
  db: OpenedDatabase;
  notifier: Notifier;
  log: Log;
}

export function startNotifications(deps: NotificationsDeps): { stop(): void } {
  const { store, db, notifier, log } = deps;
  const views = viewQueries(db);
  let stopped = false;
  // Each kind of failure is logged once until a notification goes through again: a headless host has no bus
  // for every event.
  const reported = new Set<string>();

  /** The names one event's notification may mention, read before the pure wording is chosen. */
  async function factsFor(event: StoredEvent): Promise<NotificationFacts> {
    const jobId = event.streamId.startsWith('download-') ? event.streamId.slice('download-'.length) : undefined;
    const job = jobId === undefined
      ? undefined
      : await views.jobNames(jobId);
    const modelId = (event.data as { modelId?: unknown }).modelId;
    const name = event.type === 'model.version_discovered' && typeof modelId === 'number' ? await views.modelName(modelId) : null;
    return { modelName: () => name, job: () => job };
  }

  async function deliver(event: StoredEvent): Promise<void> {
    const pending = notificationFor(event, await factsFor(event));
    if (!pending || stopped || (await views.notificationSent(pending.key))) return;
    const sent = await notifier.notify({ summary: pending.summary, body: pending.body, urgency: pending.kind === 'update' ? 'low' : 'normal' });
    if (sent.isErr()) {
      if (!reported.has(sent.error.code)) log(`notifications: ${sent.error.message}`);
      reported.add(sent.error.code);
      return;
    }
    reported.clear();
    // Event ids are unique across the log, and the update poller already uses `update:<versionId>` for the discovery.
    const recorded = await store.append([{
      streamId: 'notify',
      events: [{ eventId: `notify:${pending.key}`, type: 'notification.sent', data: { key: pending.key, kind: pending.kind, summary: pending.summary } }],
      metadata: { actor: 'daemon', causationPosition: event.position },
    }]);
    if (recorded.isErr()) log(`notifications: could not record the one sent for ${pending.key}: ${recorded.error.message}`);
  }

  // One at a time and in log order; history before the current head is never notified.
  let subscription: Subscription | undefined;
  void store.head().then((head) => {
    if (stopped) return;
    subscription = liveFrom(store, head, { types: NOTIFYING_EVENT_TYPES })
      .pipe(concatMap((item) => (item.kind === 'event' ? from(deliver(item.event).catch((e: unknown) => log(`notifications: ${String(e)}`))) : EMPTY)))
      .subscribe();
  });

  return {
    stop() {
      stopped = true;
      subscription?.unsubscribe();
    },
  };
}
