import { err, ok, type Result } from 'neverthrow';
import { eventRegistry } from '../events/index.js';
import { projections } from '../projections/index.js';
import type { Row } from '../projections/projection.js';
import { openPostgres, type PostgresDatabase, type SqliteDatabase } from '../store/database.js';
import { createPostgresEventStore } from '../store/postgres-event-store.js';
import type { EventRowTable } from '../store/schema.js';
import { acquireDataDirLock } from './lock.js';
import { openEventLog } from './open-log.js';

export interface MigrateReport {
  readonly events: number;
  readonly to: string;
  /** Rows per view, equal on both sides. */
  readonly views: Record<string, number>;
  readonly ms: number;
}

export type MigrateError = { readonly code: string; readonly message: string };

const PAGE = 5_000;
/** Columns that exist only where several hosts share a log: the copy names its host, the SQLite log none. */
const HOST_COLUMNS = new Set(['host', 'entry']);

/**
 * `comfyui-dl migrate --to postgres://…`: copies this host's SQLite log into an empty PostgreSQL database, event by
 * event with its id, stream, position, type, version and data unchanged, each marked as recorded by this host; then
 * rebuilds the views there from the copy and compares them, row by row, with the SQLite views.
 */
export async function migrateLog(options: { dataDir: string; to: string; host: string; log: (line: string) => void }): Promise<Result<MigrateReport, MigrateError>> {
  const started = performance.now();
  const lock = acquireDataDirLock(options.dataDir);
  if (lock.isErr()) return err({ code: lock.error.code, message: `${lock.error.message}: stop the daemon before migrating its log` });
  try {
    const source = await openEventLog({ dataDir: options.dataDir, databaseUrl: undefined, host: options.host }, eventRegistry, options.log);
    if (source.isErr()) return err(source.error);
    const from = source.value.db as SqliteDatabase;
    try {
      await source.value.store.catchUpProjections();
      const target = await openPostgres(options.to);
      if (target.isErr()) return err(target.error);
      try {
        return await copyAndVerify(from, target.value, options, started);
      } finally {
        await target.value.close();
      }
    } finally {
      await source.value.store.close();
      await from.close();
    }
  } finally {
    lock.value.release();
  }
}

async function copyAndVerify(from: SqliteDatabase, to: PostgresDatabase, options: { host: string; log: (line: string) => void }, started: number): Promise<Result<MigrateReport, MigrateError>> {
  const present = (await to.pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM events')).rows[0]!.n;
  if (present > 0) {
    return err({ code: 'TARGET_NOT_EMPTY', message: `${to.location} already holds a log of ${present} events: migrate into an empty database (hosts join a shared log by starting with --database-url)` });
  }
  const page = from.sqlite.prepare('SELECT * FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?');
  const client = await to.pool.connect();
  let copied = 0;
  try {
    await client.query('BEGIN');
    for (let after = 0; ;) {
      const rows = page.all(after, PAGE) as EventRowTable[];
      if (rows.length === 0) break;
      const values: unknown[] = [];
      const tuples = rows.map((r) => {
        const metadata = JSON.stringify({ host: options.host, ...(JSON.parse(r.metadata) as object) });
        const row = [r.global_position, r.event_id, r.stream_id, r.category, r.stream_position, r.type, r.schema_version, r.data, metadata, r.recorded_at];
        values.push(...row);
        return `(${row.map((_, k) => `$${values.length - row.length + k + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO events (global_position, event_id, stream_id, category, stream_position, type, schema_version, data, metadata, recorded_at) VALUES ${tuples.join(', ')}`,
        values,
      );
      copied += rows.length;
      after = rows.at(-1)!.global_position;
      options.log(`copied ${copied} events`);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    return err({ code: 'MIGRATE_FAILED', message: `could not copy the log to ${to.location}: ${to.redact((e as Error).message)}; nothing was kept there` });
  } finally {
    client.release();
  }

  const store = await createPostgresEventStore(to, eventRegistry, projections, () => new Date());
  try {
    await store.replay();
  } finally {
    await store.close();
  }
  const views: Record<string, number> = {};
  for (const t of projections.flatMap((p) => p.tables)) {
    const order = (rows: Row[]) => rows.map(withoutHost).sort((x, y) => (keyOf(x, t.key) < keyOf(y, t.key) ? -1 : 1));
    const mine = order(from.sqlite.prepare(`SELECT * FROM "${t.name}"`).all() as Row[]);
    const theirs = order((await to.pool.query<Row>(`SELECT * FROM "${t.name}"`)).rows);
    const differs = mine.length !== theirs.length ? `${mine.length} rows here, ${theirs.length} there` : firstDifference(mine, theirs);
    if (differs) {
      return err({ code: 'VIEWS_DIFFER', message: `the copy's ${t.name} does not match this log's (${differs}); the events are in ${to.location}, but do not use it: empty that database and report this` });
    }
    views[t.name] = mine.length;
  }
  return ok({ events: copied, to: to.location, views, ms: Math.round(performance.now() - started) });
}

function withoutHost(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([column]) => !HOST_COLUMNS.has(column)));
}

/** The catalog's key is `entry` (host and path): compare its rows by path. */
function keyOf(row: Row, key: string): string {
  return String(row[key] ?? row.path);
}

function firstDifference(a: readonly Row[], b: readonly Row[]): string | undefined {
  for (let i = 0; i < a.length; i++) {
    const x = JSON.stringify(a[i]);
    const y = JSON.stringify(b[i]);
    if (x !== y) return `first difference: ${x} against ${y}`;
  }
  return undefined;
}
