// Frozen once released: a migration never changes; a new one follows it.
// Several hosts may share one log: jobs name the host that downloads them, and the catalog holds each host's
// files apart (the same path on two machines is two entries), keyed by `entry`. The catalog is a view, so it is
// made anew and the catalog projection's new version fills it from the log at start. `hosts` is not a view: each
// daemon notes there when it was last seen.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE view_jobs ADD COLUMN host TEXT`.execute(db);
  await sql`CREATE INDEX view_jobs_by_host ON view_jobs (host, state, seq)`.execute(db);
  await sql`DROP TABLE view_catalog`.execute(db);
  await sql`
    CREATE TABLE view_catalog (
      entry          TEXT    PRIMARY KEY,
      host           TEXT,
      path           TEXT    NOT NULL,
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
      placed_at      TEXT    NOT NULL,
      missing        INTEGER NOT NULL DEFAULT 0,
      found_sha256   TEXT,
      source         TEXT,
      repo           TEXT,
      revision       TEXT,
      repo_path      TEXT
    ) STRICT`.execute(db);
  await sql`CREATE INDEX view_catalog_by_version ON view_catalog (version_id)`.execute(db);
  await sql`CREATE INDEX view_catalog_by_sha256 ON view_catalog (sha256)`.execute(db);
  await sql`CREATE INDEX view_catalog_by_host ON view_catalog (host, path)`.execute(db);
  await sql`
    CREATE TABLE hosts (
      name      TEXT PRIMARY KEY,
      last_seen TEXT NOT NULL,
      version   TEXT NOT NULL
    ) STRICT`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('views are rebuilt by replay, never rolled back');
}
