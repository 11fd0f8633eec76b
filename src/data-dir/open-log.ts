import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import type { EventRegistry } from '../events/registry.js';
import { projections } from '../projections/index.js';
import { openDatabase, openPostgres, type OpenedDatabase } from '../store/database.js';
import { createEventStore, type EventStore } from '../store/event-store.js';
import { createPostgresEventStore } from '../store/postgres-event-store.js';
import { checkEventLog } from './event-log-check.js';

export interface OpenedLog {
  readonly db: OpenedDatabase;
  readonly store: EventStore;
}

/** PostgreSQL refused or was not there: worth trying again, unlike a wrong password or a missing database. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|timeout|starting up|shutting down|terminat/i;
const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * The event log the daemon (or `migrate`) works on: PostgreSQL when a URL is given, else SQLite in the data
 * folder. A PostgreSQL server that is not reachable yet is waited for, saying so, until `stop` aborts.
 */
export async function openEventLog(
  where: { dataDir: string; databaseUrl: string | undefined; host: string },
  registry: EventRegistry,
  log: (line: string) => void,
  stop?: AbortSignal,
): Promise<Result<OpenedLog, { code: string; message: string }>> {
  if (where.databaseUrl) {
    for (let attempt = 0; ; attempt++) {
      const opened = await openPostgres(where.databaseUrl);
      if (opened.isOk()) {
        const store = await createPostgresEventStore(opened.value, registry, projections, () => new Date(), { log, host: where.host });
        return ok({ db: opened.value, store });
      }
      if (!UNREACHABLE.test(opened.error.message) || stop?.aborted) return err(opened.error);
      const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
      log(`${opened.error.message}; trying again in ${wait / 1000} s (jobs keep their state in the database)`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, wait);
        stop?.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
      });
      if (stop?.aborted) return err({ code: 'DATABASE_UNREACHABLE', message: 'stopped while waiting for the database' });
    }
  }
  const dbPath = join(where.dataDir, 'events.db');
  // A damaged log is never appended to: found here, before the first write, it stops the start with the fix.
  const health = checkEventLog(dbPath);
  if (health.isErr()) return err({ code: health.error.code, message: health.error.message });
  const opened = await openDatabase(dbPath);
  if (opened.isErr()) return err(opened.error);
  return ok({ db: opened.value, store: createEventStore(opened.value.sqlite, registry, projections, () => new Date()) });
}
