// Frozen once released: a migration never changes; a new one follows it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE view_catalog ADD COLUMN missing INTEGER NOT NULL DEFAULT 0`.execute(db);
  await sql`
    CREATE TABLE view_hash_cache (
      key           TEXT    PRIMARY KEY,
      path          TEXT    NOT NULL,
      dev           INTEGER NOT NULL,
      ino           INTEGER NOT NULL,
      size          INTEGER NOT NULL,
      mtime_ms      REAL    NOT NULL,
      sha256        TEXT    NOT NULL,
      checked_at_ms REAL    NOT NULL
    ) STRICT`.execute(db);
  await sql`
    CREATE TABLE view_identity (
      sha256       TEXT    PRIMARY KEY,
      known        INTEGER NOT NULL,
      model_id     INTEGER,
      version_id   INTEGER,
      model_name   TEXT,
      version_name TEXT,
      type         TEXT,
      base_model   TEXT,
      source       TEXT,
      checked_at   TEXT    NOT NULL
    ) STRICT`.execute(db);
  await sql`CREATE INDEX view_identity_by_model ON view_identity (model_id)`.execute(db);
  await sql`
    CREATE TABLE view_updates (
      model_id             INTEGER PRIMARY KEY,
      installed_version_id INTEGER NOT NULL,
      latest_version_id    INTEGER NOT NULL,
      latest_version_name  TEXT    NOT NULL,
      published_at         TEXT,
      base_model           TEXT,
      discovered_at        TEXT    NOT NULL
    ) STRICT`.execute(db);
  await sql`CREATE TABLE view_update_ignores (key TEXT PRIMARY KEY, model_id INTEGER NOT NULL, version_id INTEGER) STRICT`.execute(db);
  await sql`
    CREATE TABLE view_file_replacements (
      version_id       INTEGER PRIMARY KEY,
      model_id         INTEGER NOT NULL,
      file_id          INTEGER NOT NULL,
      installed_sha256 TEXT    NOT NULL,
      remote_sha256    TEXT    NOT NULL,
      detected_at      TEXT    NOT NULL
    ) STRICT`.execute(db);
  await sql`CREATE TABLE view_notifications (key TEXT PRIMARY KEY, kind TEXT NOT NULL, sent_at TEXT NOT NULL) STRICT`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('views are rebuilt by replay, never rolled back');
}
