import type { DomainStoredEvent } from '../events/index.js';

export type Cell = string | number | null;
export type Row = { readonly [column: string]: Cell };

/** A view table: its name, its key column and its columns in the order the migration created them. */
export interface TableInfo {
  readonly name: string;
  readonly key: string;
  readonly columns: readonly string[];
}

export interface TableDef<R extends Row> extends TableInfo {
  readonly key: keyof R & string;
  readonly columns: readonly (keyof R & string)[];
  /** Phantom: ties the row type to the table at compile time. */
  readonly _row?: R;
}

/**
 * What a projection may do to its views. Two implementations: SQLite inside the append transaction, and an
 * in-memory map for replay and tests, so folds stay pure and a rebuild can be compared row for row.
 */
export interface ViewWriter {
  get<R extends Row>(table: TableDef<R>, key: string): R | undefined;
  put<R extends Row>(table: TableDef<R>, row: R): void;
  remove<R extends Row>(table: TableDef<R>, key: string): void;
}

export interface Projection {
  /** Stable forever: it keys the checkpoint row. */
  readonly name: string;
  /** Bumped when the fold changes meaning; a checkpoint of another version makes the daemon rebuild. */
  readonly version: number;
  readonly tables: readonly TableInfo[];
  readonly handles: ReadonlySet<string>;
  apply(view: ViewWriter, event: DomainStoredEvent): void;
}

export function table<R extends Row>(name: string, key: keyof R & string, columns: readonly (keyof R & string)[]): TableDef<R> {
  return { name, key, columns };
}
