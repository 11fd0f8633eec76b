import type { Row, TableDef, TableInfo, ViewWriter } from './projection.js';

/** Views held in maps: replay folds here at memory speed, then writes the result once. */
export interface MemoryView extends ViewWriter {
  rows(table: TableInfo): Row[];
}

export function createMemoryView(): MemoryView {
  const tables = new Map<string, Map<string, Row>>();
  const of = (name: string): Map<string, Row> => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = new Map()));
    return t;
  };
  return {
    get: <R extends Row>(t: TableDef<R>, key: string) => of(t.name).get(key) as R | undefined,
    put: (t, row) => void of(t.name).set(String(row[t.key]), row),
    remove: (t, key) => void of(t.name).delete(key),
    rows: (t) => [...of(t.name).values()],
  };
}
