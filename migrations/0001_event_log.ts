// Frozen once released: a migration never changes; a new one follows it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // AUTOINCREMENT: a global position is never reused, even if rows were ever removed by maintenance.
  await sql`
    CREATE TABLE events (
      global_position INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id        TEXT    NOT NULL UNIQUE,
      stream_id       TEXT    NOT NULL,
      category        TEXT    NOT NULL,
      stream_position INTEGER NOT NULL,
      type            TEXT    NOT NULL,
      schema_version  INTEGER NOT NULL,
      data            TEXT    NOT NULL,
      metadata        TEXT    NOT NULL,
      recorded_at     TEXT    NOT NULL,
      UNIQUE (stream_id, stream_position)
    ) STRICT`.execute(db);
  await sql`CREATE INDEX events_by_category ON events (category, global_position)`.execute(db);
  await sql`CREATE INDEX events_by_type ON events (type, global_position)`.execute(db);
  await sql`
    CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END`.execute(db);
  await sql`
    CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END`.execute(db);
  await sql`
    CREATE TABLE checkpoints (
      name       TEXT    PRIMARY KEY,
      position   INTEGER NOT NULL,
      version    INTEGER NOT NULL
    ) STRICT`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the event log is never rolled back');
}
