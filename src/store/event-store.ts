import type Database from 'better-sqlite3';
import { err, ok, type Result } from 'neverthrow';
import { Subject } from 'rxjs';
import { categoryOf, EventMetadata, type NewEvent, type StoredEvent } from '../events/envelope.js';
import type { DomainStoredEvent } from '../events/index.js';
import type { EventRegistry } from '../events/registry.js';
import { createMemoryView } from '../projections/memory-view.js';
import type { Projection, ViewWriter } from '../projections/projection.js';
import type { EventRowTable } from './schema.js';
import { createSqliteView, writeTable } from './sqlite-view.js';

/** `'any'` skips the concurrency check; a number is the stream position the caller last saw (0 = new stream). */
export type ExpectedVersion = number | 'any';

export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedVersion?: ExpectedVersion;
  readonly metadata: EventMetadata;
}

export type AppendError =
  | { readonly code: 'CONFLICT'; readonly message: string; readonly streamId: string; readonly expected: number; readonly actual: number }
  | { readonly code: 'INVALID_EVENT'; readonly message: string }
  /** The database refused the write (disk full, busy, I/O): `errno` is SQLite's code, such as SQLITE_FULL. */
  | { readonly code: 'STORAGE'; readonly message: string; readonly errno: string | null };

export interface ReadFilter {
  readonly streamId?: string;
  readonly category?: string;
  /** Any of these categories. */
  readonly categories?: readonly string[];
  readonly types?: readonly string[];
  readonly excludeTypes?: readonly string[];
}

/**
 * The log, as every part of the daemon sees it. Asynchronous so that a server database can stand behind it; the
 * SQLite implementation does its work synchronously inside each call, so nothing interleaves with an append.
 */
export interface EventStore {
  /** Appends to several streams in one transaction; projections fold inside it. All or nothing. */
  append(requests: readonly AppendRequest[]): Promise<Result<StoredEvent[], AppendError>>;
  /** Oldest first; with `before`, the `limit` newest events below that position (keyset paging backwards). */
  readAll(options: { after: number; before?: number; limit: number } & ReadFilter): Promise<StoredEvent[]>;
  /** A stream's events after stream position `after` (0: the whole stream), in order. */
  readStream(streamId: string, after?: number): Promise<StoredEvent[]>;
  head(): Promise<number>;
  /** Every committed batch, after COMMIT, in commit order. */
  readonly commits$: Subject<readonly StoredEvent[]>;
  /** Empties every view and folds the whole log again; never runs a side effect. */
  replay(options?: { pageSize?: number }): Promise<{ events: number; views: number; ms: number }>;
  /** Brings views whose checkpoint is behind (or of another version) up to date: run once at start. */
  catchUpProjections(): Promise<void>;
}

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

  const toStored = (row: EventRow): StoredEvent => ({
    position: row.global_position,
    streamId: row.stream_id,
    streamPosition: row.stream_position,
    eventId: row.event_id,
    type: row.type,
    version: registry.definitions.get(row.type)?.version ?? row.schema_version,
    data: registry.upcastTrusted(row.type, row.schema_version, JSON.parse(row.data)),
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recordedAt: row.recorded_at,
  });

  const fold = (view: ViewWriter, event: StoredEvent, only: readonly Projection[] = projections): void => {
    for (const p of only) if (p.handles.has(event.type)) p.apply(view, event as DomainStoredEvent);
  };

  const appendTx = db.transaction((requests: readonly (AppendRequest & { encoded: { type: string; version: number; data: string }[] })[]) => {
    const stored: StoredEvent[] = [];
    const recordedAt = now().toISOString();
    for (const r of requests) {
      const first = r.events[0];
      if (!first) continue;
      const existing = q.byEventId.get(first.eventId) as EventRow | undefined;
      if (existing) {
        // A retried append, or a fact keyed by a natural id (`identified:<sha256>`) told again: the first telling
        // stands and is acknowledged without writing. An id never names events of two streams or two types: that
        // would silently drop a different event, so it is refused as the caller's bug.
        r.encoded.forEach((e, i) => {
          const row = q.byEventId.get((r.events[i] as NewEvent).eventId) as EventRow | undefined;
          if (!row || row.stream_id !== r.streamId || row.type !== e.type) {
            throw new ReusedIdSignal((r.events[i] as NewEvent).eventId);
          }
          stored.push(toStored(row));
        });
        continue;
      }
      const actual = (q.streamVersion.get(r.streamId) as number | null) ?? 0;
      if (r.expectedVersion !== undefined && r.expectedVersion !== 'any' && r.expectedVersion !== actual) {
        throw new ConflictSignal(r.streamId, r.expectedVersion, actual);
      }
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
    const prepared = [];
    for (const r of requests) {
      const meta = EventMetadata.safeParse(r.metadata);
      if (!meta.success) return err({ code: 'INVALID_EVENT', message: `invalid event metadata: ${meta.error.issues[0]?.message}` });
      const encoded = [];
      for (const e of r.events) {
        const enc = registry.encode(e.type, e.data);
        if (enc.isErr()) return err({ code: 'INVALID_EVENT', message: enc.error.message });
        encoded.push({ type: e.type, version: enc.value.version, data: JSON.stringify(enc.value.data) });
      }
      prepared.push({ ...r, encoded });
    }
    let stored: StoredEvent[];
    try {
      stored = appendTx.immediate(prepared);
    } catch (e) {
      if (e instanceof ConflictSignal) {
        return err({
          code: 'CONFLICT', streamId: e.streamId, expected: e.expected, actual: e.actual,
          message: `stream ${e.streamId} is at version ${e.actual}, expected ${e.expected}: someone else changed it first; reload and try again`,
        });
      }
      if (e instanceof ReusedIdSignal) return err({ code: 'INVALID_EVENT', message: e.message });
      return err({ code: 'STORAGE', message: `could not write the event log: ${(e as Error).message}`, errno: (e as { code?: string }).code ?? null });
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
    const where = ['global_position > ?'];
    const params: unknown[] = [o.after];
    const add = (clause: string, ...values: unknown[]): void => {
      where.push(clause);
      params.push(...values);
    };
    const list = (values: readonly string[]) => values.map(() => '?').join(', ');
    if (o.before !== undefined) add('global_position < ?', o.before);
    if (o.streamId) add('stream_id = ?', o.streamId);
    if (o.category) add('category = ?', o.category);
    if (o.categories && o.categories.length > 0) add(`category IN (${list(o.categories)})`, ...o.categories);
    if (o.types && o.types.length > 0) add(`type IN (${list(o.types)})`, ...o.types);
    if (o.excludeTypes && o.excludeTypes.length > 0) add(`type NOT IN (${list(o.excludeTypes)})`, ...o.excludeTypes);
    params.push(o.limit);
    const order = o.before === undefined ? 'ASC' : 'DESC';
    const rows = db.prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY global_position ${order} LIMIT ?`).all(...params) as EventRow[];
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
      const head = q.head.get() as number;
      const marks = new Map((q.checkpoints.all() as { name: string; position: number; version: number }[]).map((c) => [c.name, c]));
      const stale = projections.filter((p) => {
        const mark = marks.get(p.name);
        return head > 0 && (!mark || mark.version !== p.version || mark.position < head);
      });
      // All together: a fold may read another projection's rows (the catalog reads jobs).
      if (stale.length > 0) await rebuild(projections);
    },
  };
}

class ReusedIdSignal extends Error {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} already names another event: ids must be unique per event`);
  }
}

class ConflictSignal extends Error {
  constructor(readonly streamId: string, readonly expected: number, readonly actual: number) {
    super('conflict');
  }
}
