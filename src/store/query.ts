import type Database from 'better-sqlite3';
import { sql, type Compilable } from 'kysely';

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

/** Whose rows a read wants: one host's (with the rows of a single host's log, which name none), or every host's. */
export type HostScope = { readonly host: string } | 'all';

/** The WHERE condition of a scope, for the tables with a `host` column. */
export function ofHost(scope: HostScope) {
  return scope === 'all' ? sql<boolean>`TRUE` : sql<boolean>`(host = ${scope.host} OR host IS NULL)`;
}
