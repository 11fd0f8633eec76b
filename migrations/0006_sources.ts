// Frozen once released: a migration never changes; a new one follows it.
// Jobs and catalog entries name their source (CivitAI or a Hugging Face repo, with the commit and the path in it),
// and Hugging Face files get their own update view. The queue, catalog and updates projections' new versions
// rebuild the values from the log at start.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE view_jobs ADD COLUMN source TEXT`.execute(db);
  await sql`ALTER TABLE view_jobs ADD COLUMN repo TEXT`.execute(db);
  await sql`ALTER TABLE view_jobs ADD COLUMN revision TEXT`.execute(db);
  await sql`ALTER TABLE view_jobs ADD COLUMN repo_path TEXT`.execute(db);
  await sql`ALTER TABLE view_catalog ADD COLUMN source TEXT`.execute(db);
  await sql`ALTER TABLE view_catalog ADD COLUMN repo TEXT`.execute(db);
  await sql`ALTER TABLE view_catalog ADD COLUMN revision TEXT`.execute(db);
  await sql`ALTER TABLE view_catalog ADD COLUMN repo_path TEXT`.execute(db);
  await sql`ALTER TABLE view_jobs ADD COLUMN git_blob_id TEXT`.execute(db);
  await sql`CREATE INDEX view_jobs_by_repo_path ON view_jobs (repo, repo_path)`.execute(db);
  await sql`
    CREATE TABLE view_hf_updates (
      key              TEXT    PRIMARY KEY,
      repo             TEXT    NOT NULL,
      repo_path        TEXT    NOT NULL,
      branch           TEXT    NOT NULL,
      installed_commit TEXT    NOT NULL,
      installed_sha256 TEXT    NOT NULL,
      latest_commit    TEXT    NOT NULL,
      latest_sha256    TEXT,
      latest_git_blob  TEXT,
      size_bytes       INTEGER NOT NULL,
      title            TEXT,
      committed_at     TEXT,
      discovered_at    TEXT    NOT NULL
    ) STRICT`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('views are rebuilt by replay, never rolled back');
}
