import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventRegistry } from '../../src/events/index.js';
import { projections } from '../../src/projections/index.js';
import { openDatabase, type OpenedDatabase } from '../../src/store/database.js';
import { createEventStore, type EventStore } from '../../src/store/event-store.js';

export interface TempStore {
  readonly dir: string;
  readonly db: OpenedDatabase;
  readonly store: EventStore;
  close(): void;
}

/** A real SQLite file in a fresh temp folder, migrated, with every projection registered. */
export async function openTempStore(clock: () => Date = () => new Date('2026-01-01T00:00:00.000Z')): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-store-'));
  const db = (await openDatabase(join(dir, 'events.db')))._unsafeUnwrap();
  const store = createEventStore(db.sqlite, eventRegistry, projections, clock);
  return {
    dir, db, store,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every view table's rows in key order: what "replay rebuilds every view exactly" compares. */
export function dumpViews(t: TempStore): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const p of projections) {
    for (const table of p.tables) {
      out[table.name] = t.db.sqlite.prepare(`SELECT * FROM "${table.name}" ORDER BY "${table.key}"`).all();
    }
  }
  out.checkpoints = t.db.sqlite.prepare('SELECT * FROM checkpoints ORDER BY name').all();
  return out;
}

/**
 * Events of one type as the file holds them, read synchronously: for polling loops in tests that wait for the
 * daemon's handlers (the store's own reads are asynchronous).
 */
export function eventsOfType(t: { db: OpenedDatabase }, type: string): { eventId: string; data: unknown }[] {
  return (t.db.sqlite.prepare('SELECT event_id, data FROM events WHERE type = ? ORDER BY global_position').all(type) as { event_id: string; data: string }[])
    .map((r) => ({ eventId: r.event_id, data: JSON.parse(r.data) as unknown }));
}
