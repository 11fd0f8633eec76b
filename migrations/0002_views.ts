// Frozen once released: a migration never changes; a new one follows it.
// Views are disposable: `replay` empties and rebuilds them from the log.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE view_jobs (
      id              TEXT    PRIMARY KEY,
      seq             INTEGER NOT NULL,
      state           TEXT    NOT NULL,
      input           TEXT    NOT NULL,
      model_id        INTEGER,
      version_id      INTEGER,
      file_id         INTEGER,
      file_name       TEXT,
      model_name      TEXT,
      version_name    TEXT,
      model_type      TEXT,
      base_model      TEXT,
      expected_sha256 TEXT,
      sha256          TEXT,
      path            TEXT,
      bytes_done      INTEGER NOT NULL,
      bytes_total     INTEGER,
      attempts        INTEGER NOT NULL,
      error           TEXT,
      error_code      TEXT,
      folder          TEXT,
      routing_reason  TEXT,
      flagged         TEXT,
      created_at      TEXT    NOT NULL,
      updated_at      TEXT    NOT NULL
    ) STRICT`.execute(db);
  await sql`CREATE INDEX view_jobs_by_version ON view_jobs (version_id, file_id)`.execute(db);
  await sql`
    CREATE TABLE view_catalog (
      path           TEXT    PRIMARY KEY,
      folder         TEXT    NOT NULL,
      sha256         TEXT    NOT NULL,
      size_bytes     INTEGER NOT NULL,
      model_id       INTEGER,
      version_id     INTEGER,
      model_name     TEXT,
      version_name   TEXT,
      type           TEXT,
      base_model     TEXT,
      origin         TEXT    NOT NULL,
      routing_reason TEXT,
      flagged        TEXT,
      job_id         TEXT,
      placed_at      TEXT    NOT NULL
    ) STRICT`.execute(db);
  await sql`CREATE INDEX view_catalog_by_version ON view_catalog (version_id)`.execute(db);
  await sql`CREATE INDEX view_catalog_by_sha256 ON view_catalog (sha256)`.execute(db);
  await sql`
    CREATE TABLE view_settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('views are rebuilt by replay, never rolled back');
}
