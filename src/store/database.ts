import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { err, ok, type Result } from 'neverthrow';
import pg from 'pg';
import { migrationProvider } from '../../migrations/index.js';
import { postgresMigrations } from '../../migrations/postgres.js';
import { passwordOf, printableUrl, redact } from '../lib/redact.js';
import type { ViewTables } from './schema.js';

export interface SqliteDatabase {
  readonly kind: 'sqlite';
  readonly sqlite: Database.Database;
  /** Typed query building and migrations; hot-path writes compile its queries and run them synchronously. */
  readonly kysely: Kysely<ViewTables>;
  /** Where the log is, fit to print. */
  readonly location: string;
  close(): Promise<void>;
}

export interface PostgresDatabase {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
  readonly kysely: Kysely<ViewTables>;
  /** The URL with its password masked. */
  readonly location: string;
  /** Masks the password wherever a message might repeat it. */
  redact(text: string): string;
  /** Connects a client of its own (LISTEN needs one that the pool does not hand to others). */
  connect(): Promise<pg.Client>;
  close(): Promise<void>;
}

export type OpenedDatabase = SqliteDatabase | PostgresDatabase;

export type DatabaseError = { readonly code: 'DATABASE_UNUSABLE'; readonly message: string };

/**
 * synchronous=FULL: an event the daemon acknowledged, or a chunk it declared durable, survives a power cut, not
 * just a crash. Measured here it costs ~88 µs per append against ~24 µs for NORMAL; at the 7–55 chunk events per
 * second a download makes, that is well under 1% of one core.
 */
const PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON', 'busy_timeout = 5000'];

export async function openDatabase(path: string, options: { readonly?: boolean } = {}): Promise<Result<SqliteDatabase, DatabaseError>> {
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    for (const pragma of PRAGMAS) if (!options.readonly || !pragma.startsWith('journal_mode')) sqlite.pragma(pragma);
    sqlite.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    return err(unusable(path, e));
  }
  const kysely = new Kysely<ViewTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  const close = async (): Promise<void> => {
    if (sqlite.open) sqlite.close();
  };
  if (!options.readonly) {
    const migrated = await migrate(kysely, migrationProvider);
    if (migrated.isErr()) {
      await close();
      return err(unusable(path, migrated.error));
    }
  }
  return ok({ kind: 'sqlite', sqlite, kysely, location: path, close });
}

export function isDatabaseUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

// BIGINT (positions, byte counts) as numbers: every value the log holds is far below 2^53.
const BIGINT_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === BIGINT_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export async function openPostgres(url: string): Promise<Result<PostgresDatabase, DatabaseError>> {
  const location = printableUrl(url);
  const secrets = passwordOf(url);
  const config = { connectionString: url, types, connectionTimeoutMillis: 10_000 };
  const pool = new pg.Pool({ ...config, max: 4 });
  // An idle connection the server dropped: the pool replaces it, and the next query that fails says so.
  pool.on('error', () => undefined);
  const kysely = new Kysely<ViewTables>({ dialect: new PostgresDialect({ pool }) });
  const close = async (): Promise<void> => {
    await kysely.destroy().catch(() => undefined);
  };
  const migrated = await migrate(kysely, postgresMigrations(migrationProvider));
  if (migrated.isErr()) {
    await close();
    const detail = redact(migrated.error instanceof Error ? migrated.error.message : String(migrated.error), secrets);
    return err({
      code: 'DATABASE_UNUSABLE',
      message: `cannot use the event log at ${location}: ${detail || 'no answer'}; check that PostgreSQL runs there and that the user, password and database in the URL are right`,
    });
  }
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client(config);
    await client.connect();
    return client;
  };
  return ok({ kind: 'postgres', pool, kysely, location, connect, close, redact: (text) => redact(text, secrets) });
}

async function migrate(kysely: Kysely<ViewTables>, provider: ConstructorParameters<typeof Migrator>[0]['provider']): Promise<Result<void, unknown>> {
  try {
    const { error } = await new Migrator({ db: kysely, provider }).migrateToLatest();
    return error ? err(error) : ok(undefined);
  } catch (e) {
    return err(e);
  }
}

function unusable(path: string, cause: unknown): DatabaseError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: string } | null)?.code ?? '';
  let fix = 'check the file and its folder';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    fix = 'the file is not a comfyui-dl database or is damaged: move it aside (the daemon then starts a new log) or restore it from a backup';
  } else if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || /readonly|read-only/i.test(detail)) {
    fix = 'the daemon needs to write it: fix the permissions of the file and its folder, or choose another --data-dir';
  }
  return { code: 'DATABASE_UNUSABLE', message: `cannot use the event log ${path}: ${detail}; ${fix}` };
}
