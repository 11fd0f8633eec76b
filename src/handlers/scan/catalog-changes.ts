// What one scan changes in the catalog, from the catalog as it was before the walk and the files the walk saw.
// Pure: the scanner turns the result into events.
import { detectChanges } from './hash-cache.js';
import type { EventDataOf } from '../../events/index.js';

/** A model file the walk saw and hashed, named as events name it (relative to the models folder, or absolute). */
export interface SeenFile {
  readonly path: string;
  readonly folder: string;
  readonly sha256: string;
  readonly size: number;
}

export interface CatalogEntry {
  readonly path: string;
  readonly sha256: string;
  readonly missing: boolean;
}

export type CatalogChange =
  | { readonly type: 'file.discovered'; readonly data: EventDataOf<'file.discovered'> }
  | { readonly type: 'file.moved'; readonly data: EventDataOf<'file.moved'> }
  | { readonly type: 'file.missing'; readonly data: EventDataOf<'file.missing'> }
  | { readonly type: 'file.returned'; readonly data: EventDataOf<'file.returned'> };

const discovered = (f: SeenFile): CatalogChange => ({
  type: 'file.discovered', data: { path: f.path, folder: f.folder, sha256: f.sha256, sizeBytes: f.size },
});

/**
 * `inScope` tells whether the walk could have seen a catalog path (its root was there and its folder readable);
 * rows outside it are neither missing nor moved. Rows already missing take part in move pairing (a file moved
 * while its old path was marked missing is still that file) but are not reported missing again.
 */
export function catalogChanges(catalog: readonly CatalogEntry[], seen: readonly SeenFile[], inScope: (path: string) => boolean): CatalogChange[] {
  const byPath = new Map(catalog.map((row) => [row.path, row]));
  const changes: CatalogChange[] = [];
  // Other bytes at a known path: the row now describes a different file.
  const rewritten = seen.filter((f) => {
    const row = byPath.get(f.path);
    return row !== undefined && row.sha256 !== f.sha256;
  });
  const rewrittenPaths = new Set(rewritten.map((f) => f.path));
  changes.push(...rewritten.map(discovered));

  const previous = catalog.filter((row) => inScope(row.path) && !rewrittenPaths.has(row.path));
  const current = seen.filter((f) => !rewrittenPaths.has(f.path));
  const { moved, appeared, vanished } = detectChanges(previous, current);
  const seenByPath = new Map(current.map((f) => [f.path, f]));

  for (const m of moved) changes.push({ type: 'file.moved', data: { from: m.from, to: m.to, sha256: m.sha256, folder: seenByPath.get(m.to)!.folder } });
  for (const a of appeared) changes.push(discovered(seenByPath.get(a.path)!));
  for (const row of previous) {
    if (row.missing && seenByPath.has(row.path)) changes.push({ type: 'file.returned', data: { path: row.path, sha256: row.sha256 } });
  }
  for (const gone of vanished) {
    if (!byPath.get(gone.path)?.missing) changes.push({ type: 'file.missing', data: { path: gone.path, sha256: gone.sha256 } });
  }
  return changes;
}
