import type Database from 'better-sqlite3';
import { err, ok, type Result } from 'neverthrow';
import { Subject } from 'rxjs';
import { categoryOf, type NewEvent, type StoredEvent } from '../events/envelope.js';
import type { EventRegistry } from '../events/registry.js';
import { createMemoryView } from '../projections/memory-view.js';
import type { Projection } from '../projections/projection.js';
import { alreadyStored, appendFailure, checkExpected, folder, prepareAppend, readAllQuery, rowToStored, staleProjections, type PreparedRequest } from './append-common.js';
import type { EventRowTable } from './schema.js';
import { createSqliteView, writeTable } from './sqlite-view.js';
import type { AppendError, AppendRequest, EventStore, ReadFilter } from './store-contract.js';

export type { AppendError, AppendRequest, EventStore, ExpectedVersion, ReadFilter } from './store-contract.js';

type EventRow = EventRowTable;

export function createEventStore(
  db: Database.Database,
  registry: EventRegistry,
  projections: readonly Projection[],
  now: () => Date,
): EventStore {
  const commits$ = new Subject<readonly StoredEvent[]>();
  const sqliteView = createSqliteView(db, projections.flatMap((p) => p.tables));
  const q = {
    byEventId: db.prepare('SELECT * FROM events WHERE event_id = ?'),
    streamVersion: db.prepare('SELECT MAX(stream_position) AS v FROM events WHERE stream_id = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO events (event_id, stream_id, category, stream_position, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    head: db.prepare('SELECT COALESCE(MAX(global_position), 0) FROM events').pluck(),
    stream: db.prepare('SELECT * FROM events WHERE stream_id = ? AND stream_position > ? ORDER BY stream_position'),
    checkpoint: db.prepare('INSERT OR REPLACE INTO checkpoints (name, position, version) VALUES (?, ?, ?)'),
    checkpoints: db.prepare('SELECT name, position, version FROM checkpoints'),
  };

  // Every projection has a checkpoint row from the start, so an empty log and a rebuilt one look alike.
  const seed = db.prepare('INSERT OR IGNORE INTO checkpoints (name, position, version) VALUES (?, 0, ?)');
  for (const p of projections) seed.run(p.name, p.version);

  const toStored = rowToStored(registry);
  const fold = folder(projections);

  const appendTx = db.transaction((requests: readonly PreparedRequest[]) => {
    const stored: StoredEvent[] = [];
    const recordedAt = now().toISOString();
    for (const r of requests) {
      const existing = alreadyStored(r, (id) => q.byEventId.get(id) as EventRow | undefined);
      if (existing) {
        stored.push(...existing.map(toStored));
        continue;
      }
      if (r.events.length === 0) continue;
      const actual = (q.streamVersion.get(r.streamId) as number | null) ?? 0;
      checkExpected(r, actual);
      const metadata = JSON.stringify(r.metadata);
      r.encoded.forEach((e, i) => {
        const event = r.events[i] as NewEvent;
        const position = Number(
          q.insert.run(event.eventId, r.streamId, categoryOf(r.streamId), actual + i + 1, e.type, e.version, e.data, metadata, recordedAt)
            .lastInsertRowid,
        );
        const s: StoredEvent = {
          position, streamId: r.streamId, streamPosition: actual + i + 1, eventId: event.eventId, type: e.type,
          version: e.version, data: JSON.parse(e.data), metadata: r.metadata, recordedAt,
        };
        fold(sqliteView, s);
        stored.push(s);
      });
    }
    const last = stored.at(-1);
    if (last) for (const p of projections) q.checkpoint.run(p.name, last.position, p.version);
    return stored;
  });

  const append = async (requests: readonly AppendRequest[]): Promise<Result<StoredEvent[], AppendError>> => {
    const prepared = prepareAppend(registry, requests);
    if (prepared.isErr()) return err(prepared.error);
    let stored: StoredEvent[];
    try {
      stored = appendTx.immediate(prepared.value);
    } catch (e) {
      return err(appendFailure(e));
    }
    const fresh = stored.filter((s) => s.position > lastEmitted);
    if (fresh.length > 0) {
      lastEmitted = fresh[fresh.length - 1]!.position;
      commits$.next(fresh);
    }
    return ok(stored);
  };
  let lastEmitted = q.head.get() as number;

  const readAll = async (o: { after: number; before?: number; limit: number } & ReadFilter): Promise<StoredEvent[]> => {
    const { sql, params } = readAllQuery(o, () => '?');
    const rows = db.prepare(sql).all(...params) as EventRow[];
    if (o.before !== undefined) rows.reverse();
    return rows.map(toStored);
  };

  /** Folds the log from `after` into a memory view, in pages that yield to the event loop between them. */
  const foldInMemory = async (only: readonly Projection[], pageSize: number) => {
    const view = createMemoryView();
    const page = db.prepare('SELECT * FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?');
    let after = 0;
    let count = 0;
    for (;;) {
      const rows = page.all(after, pageSize) as EventRow[];
      for (const row of rows) fold(view, toStored(row), only);
      count += rows.length;
      if (rows.length < pageSize) break;
      after = rows[rows.length - 1]!.global_position;
      // Appends that land while we yield are read by a later page; the last page and the write below run
      // in one synchronous stretch, so nothing can slip between them.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { view, count, head: after };
  };

  const rebuild = async (only: readonly Projection[], pageSize = 20_000) => {
    const started = performance.now();
    const { view, count } = await foldInMemory(only, pageSize);
    const head = q.head.get() as number;
    db.transaction(() => {
      for (const p of only) {
        for (const t of p.tables) writeTable(db, t, view.rows(t));
        q.checkpoint.run(p.name, head, p.version);
      }
    }).immediate();
    return { events: count, views: only.reduce((n, p) => n + p.tables.length, 0), ms: Math.round(performance.now() - started) };
  };

  return {
    append,
    readAll,
    readStream: async (streamId, after = 0) => (q.stream.all(streamId, after) as EventRow[]).map(toStored),
    head: async () => q.head.get() as number,
    commits$,
    replay: (options) => rebuild(projections, options?.pageSize),
    catchUpProjections: async () => {
      const stale = staleProjections(projections, q.head.get() as number, q.checkpoints.all() as { name: string; position: number; version: number }[]);
      // All together: a fold may read another projection's rows (the catalog reads jobs).
      if (stale.length > 0) await rebuild(projections);
    },
    close: async () => undefined,
  };
}
