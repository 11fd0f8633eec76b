import { err, ok, type Result } from 'neverthrow';
import type pg from 'pg';
import { Subject } from 'rxjs';
import { categoryOf, type StoredEvent } from '../events/envelope.js';
import type { EventRegistry } from '../events/registry.js';
import { createMemoryView, type MemoryView } from '../projections/memory-view.js';
import type { Projection, Row, TableDef, TableInfo, ViewWriter } from '../projections/projection.js';
import { alreadyStored, appendFailure, checkExpected, folder, prepareAppend, readAllQuery, rowToStored, staleProjections, type PreparedRequest } from './append-common.js';
import type { PostgresDatabase } from './database.js';
import type { AppendError, AppendRequest, EventStore } from './event-store.js';
import type { EventRowTable } from './schema.js';

/** Every append holds this transaction-scoped lock until COMMIT, so positions commit in order. */
const APPEND_LOCK = 0x636f6d66;
/** NOTIFY carries only the new head; listeners read the events from the table, so none is missed or reordered. */
export const EVENTS_CHANNEL = 'comfyui_dl_events';
const RECONNECT_MS = 1_000;

export interface PostgresStoreOptions {
  /** This daemon's host: every event it appends names it in its metadata (the catalog keeps each host's files apart). */
  readonly host?: string;
  /** Told when the feed from other writers breaks and when it is back. */
  readonly log?: (line: string) => void;
}

/**
 * The log in PostgreSQL, shared by several daemons. Appends are serialised by an advisory lock held to COMMIT and
 * take the next position themselves, so a reader never sees position N+1 before N. Projections fold synchronously
 * (as on SQLite) into a copy of the views held in memory: under the lock the copy first folds whatever other
 * writers appended, then this append's events, and the rows that changed are written to the view tables in the
 * same transaction.
 */
export async function createPostgresEventStore(
  db: PostgresDatabase,
  registry: EventRegistry,
  projections: readonly Projection[],
  now: () => Date,
  options: PostgresStoreOptions = {},
): Promise<EventStore> {
  const log = options.log ?? (() => undefined);
  const commits$ = new Subject<readonly StoredEvent[]>();
  const tables = projections.flatMap((p) => p.tables);
  const toStored = rowToStored(registry);
  const fold = folder(projections);
  const pool = db.pool;

  // The copy of the views and the position it reflects; touched only inside `exclusive`.
  let mirror: MemoryView = createMemoryView();
  let mirrorAt = 0;
  let queue: Promise<unknown> = Promise.resolve();
  /** One transaction of this process at a time: the mirror belongs to whoever holds the append lock. */
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken = false;
    try {
      // One round trip: no parameters, so the simple protocol takes both statements.
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK})`);
      await catchUpMirror(client);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw e;
    } finally {
      client.release(broken);
    }
  };

  /** Folds into the mirror what other writers committed since it was last brought up to date. */
  const catchUpMirror = async (client: pg.PoolClient): Promise<void> => {
    for (;;) {
      const { rows } = await client.query<EventRowTable>('SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 5000', [mirrorAt]);
      for (const row of rows) fold(mirror, toStored(row));
      if (rows.length > 0) mirrorAt = rows.at(-1)!.global_position;
      if (rows.length < 5000) return;
    }
  };

  const appendLocked = async (client: pg.PoolClient, requests: readonly PreparedRequest[]) => {
    const stored: StoredEvent[] = [];
    const recordedAt = now().toISOString();
    const changes = overlay(mirror);
    let head = mirrorAt;
    const ids = requests.flatMap((r) => r.events.map((e) => e.eventId));
    const known = new Map(
      (await client.query<EventRowTable>('SELECT * FROM events WHERE event_id = ANY($1)', [ids])).rows.map((r) => [r.event_id, r]),
    );
    const versions = new Map<string, number>();
    for (const r of requests) {
      const existing = alreadyStored(r, (id) => known.get(id));
      if (existing) {
        stored.push(...existing.map(toStored));
        continue;
      }
      if (r.events.length === 0) continue;
      let actual = versions.get(r.streamId);
      if (actual === undefined) {
        const { rows } = await client.query<{ v: number | null }>('SELECT MAX(stream_position) AS v FROM events WHERE stream_id = $1', [r.streamId]);
        actual = rows[0]?.v ?? 0;
      }
      checkExpected(r, actual);
      const metadata = r.metadata;
      const values: unknown[] = [];
      const tuples: string[] = [];
      r.encoded.forEach((e, i) => {
        const event = r.events[i]!;
        const s: StoredEvent = {
          position: ++head, streamId: r.streamId, streamPosition: actual + i + 1, eventId: event.eventId, type: e.type,
          version: e.version, data: JSON.parse(e.data), metadata, recordedAt,
        };
        const row = [s.position, s.eventId, s.streamId, categoryOf(s.streamId), s.streamPosition, s.type, s.version, e.data, JSON.stringify(metadata), recordedAt];
        tuples.push(`(${row.map((_, k) => `$${values.length + k + 1}`).join(', ')})`);
        values.push(...row);
        fold(changes, s);
        stored.push(s);
      });
      versions.set(r.streamId, actual + r.events.length);
      await client.query(
        `INSERT INTO events (global_position, event_id, stream_id, category, stream_position, type, schema_version, data, metadata, recorded_at)
         VALUES ${tuples.join(', ')}`,
        values,
      );
    }
    if (head > mirrorAt) {
      await writeChanges(client, changes.changed);
      await writeCheckpoints(client, head, true);
    }
    return { stored, commit: () => {
      changes.mergeInto(mirror);
      mirrorAt = head;
    } };
  };

  /** With `notify`, the same statement tells the listeners the new head (delivered at COMMIT, in commit order). */
  const writeCheckpoints = async (client: pg.PoolClient, position: number, notify = false): Promise<void> => {
    const values: unknown[] = projections.flatMap((p) => [p.name, position, p.version]);
    const upsert = `INSERT INTO checkpoints (name, position, version) VALUES ${projections.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ')}
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, version = EXCLUDED.version`;
    if (!notify) return void (await client.query(upsert, values));
    values.push(EVENTS_CHANNEL, String(position));
    await client.query(`WITH marked AS (${upsert} RETURNING 1) SELECT pg_notify($${values.length - 1}, $${values.length}) FROM (SELECT 1) AS once`, values);
  };

  const append = async (requests: readonly AppendRequest[]): Promise<Result<StoredEvent[], AppendError>> => {
    const host = options.host;
    const stamped = host === undefined ? requests : requests.map((r) => ({ ...r, metadata: { host, ...r.metadata } }));
    const prepared = prepareAppend(registry, stamped);
    if (prepared.isErr()) return err(prepared.error);
    let stored: StoredEvent[];
    try {
      stored = await exclusive(async () => {
        let commit = (): void => undefined;
        const result = await transaction(async (client) => {
          const done = await appendLocked(client, prepared.value);
          commit = done.commit;
          return done.stored;
        });
        commit();
        return result;
      });
    } catch (e) {
      return err(appendFailure(e, (x) => db.redact(x.message)));
    }
    const last = stored.at(-1);
    if (last) await publish(last.position, stored);
    return ok(stored);
  };

  // The commit feed: this process's appends and everyone else's, in position order, each once.
  let emitted = 0;
  let publishing: Promise<void> = Promise.resolve();
  const publish = (upTo: number, known: readonly StoredEvent[] = []): Promise<void> => {
    const run = publishing.then(async () => {
      while (emitted < upTo) {
        const next = known.filter((e) => e.position > emitted);
        if (next[0]?.position === emitted + 1) {
          commits$.next(next);
          emitted = next.at(-1)!.position;
          continue;
        }
        const end = next[0] ? next[0].position - 1 : upTo;
        const { rows } = await pool.query<EventRowTable>(
          'SELECT * FROM events WHERE global_position > $1 AND global_position <= $2 ORDER BY global_position LIMIT 1000',
          [emitted, end],
        );
        if (rows.length === 0) return;
        commits$.next(rows.map(toStored));
        emitted = rows.at(-1)!.global_position;
      }
    });
    publishing = run.catch((e: Error) => log(`live feed: cannot read new events (${db.redact(e.message)}); trying again with the next one`));
    return publishing;
  };

  const head = async (): Promise<number> =>
    (await pool.query<{ h: number }>('SELECT COALESCE(MAX(global_position), 0) AS h FROM events')).rows[0]!.h;

  const rebuild = async (only: readonly Projection[], pageSize = 20_000) => {
    const started = performance.now();
    const view = createMemoryView();
    let after = 0;
    let count = 0;
    const page = async (client: pg.Pool | pg.PoolClient): Promise<boolean> => {
      const { rows } = await client.query<EventRowTable>('SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2', [after, pageSize]);
      for (const row of rows) fold(view, toStored(row), only);
      count += rows.length;
      if (rows.length > 0) after = rows.at(-1)!.global_position;
      return rows.length === pageSize;
    };
    // Most of the log is folded without the lock; the rest, and the write, under it.
    while (await page(pool));
    await exclusive(() => transaction(async (client) => {
      while (await page(client));
      for (const p of only) for (const t of p.tables) await writeTable(client, t, view.rows(t));
      await writeCheckpoints(client, after);
      if (only.length === projections.length) {
        mirror = view;
        mirrorAt = after;
      }
    }));
    return { events: count, views: only.reduce((n, p) => n + p.tables.length, 0), ms: Math.round(performance.now() - started) };
  };

  const loadMirror = () => exclusive(async () => {
    const client = await pool.connect();
    try {
      // One snapshot: the views and the head they were folded to.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const view = createMemoryView();
      for (const t of tables) for (const row of (await client.query<Row>(`SELECT * FROM "${t.name}"`)).rows) view.put(t as TableDef<Row>, row);
      const at = (await client.query<{ h: number }>('SELECT COALESCE(MAX(global_position), 0) AS h FROM events')).rows[0]!.h;
      await client.query('COMMIT');
      mirror = view;
      mirrorAt = at;
    } finally {
      client.release();
    }
  });

  await pool.query(
    `INSERT INTO checkpoints (name, position, version) VALUES ${projections.map((_, i) => `($${i * 2 + 1}, 0, $${i * 2 + 2})`).join(', ')} ON CONFLICT (name) DO NOTHING`,
    projections.flatMap((p) => [p.name, p.version]),
  );
  await loadMirror();
  emitted = mirrorAt;
  const listener = follow(db, (position) => void publish(position), async () => publish(await head()), log);

  return {
    append,
    readAll: async (o) => {
      const { sql, params } = readAllQuery(o, (n) => `$${n}`);
      const { rows } = await pool.query<EventRowTable>(sql, params);
      if (o.before !== undefined) rows.reverse();
      return rows.map(toStored);
    },
    readStream: async (streamId, after = 0) =>
      (await pool.query<EventRowTable>('SELECT * FROM events WHERE stream_id = $1 AND stream_position > $2 ORDER BY stream_position', [streamId, after])).rows.map(toStored),
    head,
    commits$,
    replay: (o) => rebuild(projections, o?.pageSize),
    catchUpProjections: async () => {
      const marks = (await pool.query<{ name: string; position: number; version: number }>('SELECT name, position, version FROM checkpoints')).rows;
      if (staleProjections(projections, await head(), marks).length > 0) await rebuild(projections);
    },
    close: async () => {
      await listener.stop();
      await publishing;
    },
  };
}

/**
 * LISTENs on a connection of its own; when it breaks it connects again and catches up from the table, so a
 * notification lost with the connection loses no event.
 */
function follow(db: PostgresDatabase, onHead: (position: number) => void, resync: () => Promise<void>, log: (line: string) => void) {
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lost = false;
  const connect = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    try {
      const c = await db.connect();
      c.on('notification', (n) => onHead(Number(n.payload)));
      c.on('error', () => retry(c));
      c.on('end', () => retry(c));
      await c.query(`LISTEN ${EVENTS_CHANNEL}`);
      if (stopped) return void (await c.end());
      client = c;
      if (lost) log('live feed: connected to the database again');
      lost = false;
      await resync();
    } catch (e) {
      if (!lost) log(`live feed: lost the database (${db.redact((e as Error).message)}); reconnecting every ${RECONNECT_MS / 1000} s`);
      lost = true;
      timer ??= setTimeout(() => void connect(), RECONNECT_MS);
    }
  };
  const retry = (c: pg.Client): void => {
    if (stopped || client !== c) return;
    client = undefined;
    if (!lost) log('live feed: the database connection broke; reconnecting');
    lost = true;
    c.end().catch(() => undefined);
    timer ??= setTimeout(() => void connect(), RECONNECT_MS);
  };
  const started = connect();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await started;
      await client?.end().catch(() => undefined);
    },
  };
}

/** The mirror as this append changes it: reads see the changes, and they are written only once it commits. */
function overlay(base: MemoryView) {
  const changed = new Map<TableInfo, Map<string, Row | null>>();
  const of = (t: TableInfo) => {
    let m = changed.get(t);
    if (!m) changed.set(t, (m = new Map()));
    return m;
  };
  const view: ViewWriter = {
    get: <R extends Row>(t: TableDef<R>, key: string) => {
      const c = changed.get(t)?.get(key);
      return c === null ? undefined : ((c ?? base.get(t, key)) as R | undefined);
    },
    put: (t, row) => void of(t).set(String(row[t.key]), row),
    remove: (t, key) => void of(t).set(key, null),
  };
  return {
    ...view,
    changed,
    mergeInto: (target: MemoryView) => {
      for (const [t, rows] of changed) {
        for (const [key, row] of rows) {
          if (row) target.put(t as TableDef<Row>, row);
          else target.remove(t as TableDef<Row>, key);
        }
      }
    },
  };
}

async function writeChanges(client: pg.PoolClient, changed: ReadonlyMap<TableInfo, ReadonlyMap<string, Row | null>>): Promise<void> {
  for (const [t, rows] of changed) {
    const removed = [...rows].filter(([, row]) => row === null).map(([key]) => key);
    if (removed.length > 0) await client.query(`DELETE FROM "${t.name}" WHERE "${t.key}"::text = ANY($1)`, [removed]);
    await insertRows(client, t, [...rows.values()].filter((row): row is Row => row !== null), true);
  }
}

async function writeTable(client: pg.PoolClient, t: TableInfo, rows: readonly Row[]): Promise<void> {
  await client.query(`DELETE FROM "${t.name}"`);
  await insertRows(client, t, rows, false);
}

/** Multi-row INSERTs, in chunks below PostgreSQL's 65535 parameters; `upsert` replaces a row with the same key. */
async function insertRows(client: pg.PoolClient, t: TableInfo, rows: readonly Row[], upsert: boolean): Promise<void> {
  const cols = t.columns.map((c) => `"${c}"`).join(', ');
  const perChunk = Math.floor(60_000 / t.columns.length);
  const conflict = upsert
    ? ` ON CONFLICT ("${t.key}") DO UPDATE SET ${t.columns.filter((c) => c !== t.key).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}`
    : '';
  for (let i = 0; i < rows.length; i += perChunk) {
    const chunk = rows.slice(i, i + perChunk);
    const values = chunk.flatMap((row) => t.columns.map((c) => row[c] ?? null));
    const tuples = chunk.map((_, r) => `(${t.columns.map((_, k) => `$${r * t.columns.length + k + 1}`).join(', ')})`);
    await client.query(`INSERT INTO "${t.name}" (${cols}) VALUES ${tuples.join(', ')}${conflict}`, values);
  }
}
