// Frozen once released: a migration never changes; a new one follows it.
// The queue view learns when a waiting job tries again, and whether a job's file is already transferred; the
// queue projection's new version rebuilds the column values from the log at start.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE view_jobs ADD COLUMN next_attempt_at TEXT`.execute(db);
  await sql`ALTER TABLE view_jobs ADD COLUMN transferred INTEGER NOT NULL DEFAULT 0`.execute(db);
  await sql`CREATE INDEX view_jobs_by_state ON view_jobs (state, seq)`.execute(db);
}
