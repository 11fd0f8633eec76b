// Frozen once released: a migration never changes; a new one follows it.
import { sql, type Kysely } from 'kysely';

/** The SHA-256 verification found at a catalog path instead of the recorded one (null: intact or not checked). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE view_catalog ADD COLUMN found_sha256 TEXT`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('views are rebuilt by replay, never rolled back');
}
