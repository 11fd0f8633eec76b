import type { CatalogEntryJson } from '../../../src/ipc/protocol.js';

/** The file name without its folders. */
export function fileNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Case-insensitive match of every word of the query against the entry's names, path, type and base model. */
export function matchesQuery(entry: CatalogEntryJson, query: string): boolean {
  const haystack = [entry.modelName, entry.versionName, entry.path, entry.type, entry.baseModel, entry.folder]
    .filter((s): s is string => typeof s === 'string')
    .join(' ')
    .toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

/** Folders in the catalog with how many models each holds, largest first. */
export function folderCounts(entries: readonly CatalogEntryJson[]): [folder: string, count: number][] {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.folder, (counts.get(e.folder) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Updates first, then by model name. */
export function sortCatalog(entries: readonly CatalogEntryJson[]): CatalogEntryJson[] {
  const name = (e: CatalogEntryJson) => (e.modelName ?? fileNameOf(e.path)).toLowerCase();
  return [...entries].sort((a, b) => Number(b.update !== null) - Number(a.update !== null) || name(a).localeCompare(name(b)));
}
