import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { eventRegistry } from '../../src/events/index.js';
import { projections } from '../../src/projections/index.js';
import { openDatabase, openPostgres, type OpenedDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { createEventStore, type EventStore } from '../../src/store/event-store.js';
import { createPostgresEventStore } from '../../src/store/postgres-event-store.js';
import { postgresMissing, startPostgres, type PgServer } from './postgres.js';

export interface TempStore<D extends OpenedDatabase = SqliteDatabase> {
  readonly dir: string;
  readonly db: D;
  readonly store: EventStore;
  close(): Promise<void>;
}

const fixedClock = () => new Date('2026-01-01T00:00:00.000Z');

/** A real SQLite file in a fresh temp folder, migrated, with every projection registered. */
export async function openTempStore(clock: () => Date = fixedClock): Promise<TempStore<SqliteDatabase>> {
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-store-'));
  const db = (await openDatabase(join(dir, 'events.db')))._unsafeUnwrap();
  const store = createEventStore(db.sqlite, eventRegistry, projections, clock);
  return {
    dir, db, store,
    close: async () => {
      await store.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the file's PostgreSQL server, migrated, with every projection registered. */
export async function openPostgresStore(server: PgServer, clock: () => Date = fixedClock): Promise<TempStore<OpenedDatabase>> {
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-store-'));
  const db = (await openPostgres(await server.createDatabase()))._unsafeUnwrap();
  const store = await createPostgresEventStore(db, eventRegistry, projections, clock);
  return {
    dir, db, store,
    close: async () => {
      await store.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this back end's tests are skipped here, if they are. */
  readonly skip: string | undefined;
  open(clock?: () => Date): Promise<TempStore<OpenedDatabase>>;
}

/**
 * The back ends a store test runs on: SQLite, and PostgreSQL on one server started for the test file (call at the
 * top level of the file: it registers the server's start and stop).
 */
export function backends(): Backend[] {
  let server: PgServer | undefined;
  beforeAll(async () => {
    if (!postgresMissing) server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return [
    { name: 'sqlite', skip: undefined, open: (clock) => openTempStore(clock) },
    {
      name: 'postgres',
      skip: postgresMissing,
      open: (clock) => {
        if (!server) throw new Error('the PostgreSQL server did not start');
        return openPostgresStore(server, clock);
      },
    },
  ];
}

/** A statement run as it is, on either database. */
export async function rawQuery(db: OpenedDatabase, sql: string): Promise<Record<string, unknown>[]> {
  if (db.kind === 'sqlite') {
    const statement = db.sqlite.prepare(sql);
    return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
  }
  return (await db.pool.query(sql)).rows as Record<string, unknown>[];
}

/** Every view table's rows in key order: what "replay rebuilds every view exactly" compares. */
export async function dumpViews(t: { db: OpenedDatabase }): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const p of projections) {
    for (const table of p.tables) out[table.name] = await rawQuery(t.db, `SELECT * FROM "${table.name}" ORDER BY "${table.key}"`);
  }
  out.checkpoints = await rawQuery(t.db, 'SELECT * FROM checkpoints ORDER BY name');
  return out;
}

/**
 * Events of one type as the file holds them, read synchronously: for polling loops in tests that wait for the
 * daemon's handlers (the store's own reads are asynchronous).
 */
export function eventsOfType(t: { db: SqliteDatabase }, type: string): { eventId: string; data: unknown }[] {
  return (t.db.sqlite.prepare('SELECT event_id, data FROM events WHERE type = ? ORDER BY global_position').all(type) as { event_id: string; data: string }[])
    .map((r) => ({ eventId: r.event_id, data: JSON.parse(r.data) as unknown }));
}
