import type Database from 'better-sqlite3';
import type { Row, TableDef, TableInfo, ViewWriter } from '../projections/projection.js';

interface Statements {
  get: Database.Statement;
  put: Database.Statement;
  remove: Database.Statement;
}

/** Projections' writes inside the append transaction, through statements prepared once per table. */
export function createSqliteView(db: Database.Database, tables: readonly TableInfo[]): ViewWriter {
  const statements = new Map<string, Statements>();
  for (const t of tables) {
    const cols = t.columns.map((c) => `"${c}"`).join(', ');
    statements.set(t.name, {
      get: db.prepare(`SELECT * FROM "${t.name}" WHERE "${t.key}" = ?`),
      put: db.prepare(`INSERT OR REPLACE INTO "${t.name}" (${cols}) VALUES (${t.columns.map(() => '?').join(', ')})`),
      remove: db.prepare(`DELETE FROM "${t.name}" WHERE "${t.key}" = ?`),
    });
  }
  const of = (t: TableInfo): Statements => {
    const s = statements.get(t.name);
    if (!s) throw new Error(`view table ${t.name} is not registered`);
    return s;
  };
  return {
    get: <R extends Row>(t: TableDef<R>, key: string) => of(t).get.get(key) as R | undefined,
    put: (t, row) => void of(t).put.run(t.columns.map((c) => row[c] ?? null)),
    remove: (t, key) => void of(t).remove.run(key),
  };
}

/** Replaces a table's whole content: replay's final step. */
export function writeTable(db: Database.Database, t: TableInfo, rows: readonly Row[]): void {
  db.prepare(`DELETE FROM "${t.name}"`).run();
  const insert = db.prepare(`INSERT INTO "${t.name}" (${t.columns.map((c) => `"${c}"`).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`);
  for (const row of rows) insert.run(t.columns.map((c) => row[c] ?? null));
}
