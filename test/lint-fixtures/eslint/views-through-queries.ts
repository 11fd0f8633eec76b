// Linted as src/handlers/fixture.ts: a handler querying a view table itself.
import type { OpenedDatabase } from '../../src/store/database.js';

export const queued = (db: OpenedDatabase) => db.kysely.selectFrom('view_jobs').selectAll().where('state', '=', 'queued').execute();
