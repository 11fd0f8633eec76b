import type Database from 'better-sqlite3';
import type { Compilable } from 'kysely';

/**
 * Runs a kysely-built query synchronously on better-sqlite3: kysely types and builds the SQL, and the read
 * cannot interleave with an append because nothing awaits between the two.
 */
export function all<R>(sqlite: Database.Database, query: Compilable<R>): R[] {
  const { sql, parameters } = query.compile();
  return sqlite.prepare(sql).all(...(parameters as unknown[])) as R[];
}

export function first<R>(sqlite: Database.Database, query: Compilable<R>): R | undefined {
  const { sql, parameters } = query.compile();
  return sqlite.prepare(sql).get(...(parameters as unknown[])) as R | undefined;
}
