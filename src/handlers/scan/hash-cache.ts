// Decides which files need hashing, from plain cache entries the daemon keeps in its event log, and recognises
// moves. Pure: no disk, no clock.
//
// A file's content is assumed unchanged while its device, inode, size and modification time are; that is what
// lets a restart skip rehashing terabytes. One hole remains, as in git's "racily clean" index: a write in the
// same timestamp tick as the stat taken before hashing leaves every key field equal. Entries recorded that close
// to the file's mtime are therefore not trusted, and the next scan hashes again (and records a trusted entry).
import { z } from 'zod';

export const hashCacheEntrySchema = z.object({
  dev: z.number().int().nonnegative(),
  ino: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the stat fields were read, just before hashing began (Unix ms). */
  checkedAtMs: z.number(),
});
export type HashCacheEntry = z.infer<typeof hashCacheEntrySchema>;

/** The stat fields the cache is keyed by; a walked file has them. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export type HashDecision =
  | { readonly kind: 'cached'; readonly sha256: string }
  /** unknown: never hashed with these stat fields; racy: hashed too soon after a write to be trusted. */
  | { readonly kind: 'needs-hash'; readonly reason: 'unknown' | 'racy' };

/**
 * Writes within this long before the stat may share the recorded mtime with a later write: FAT and exFAT store
 * mtimes in 2 s steps, and other filesystems in 1 s or finer.
 */
export const RACY_WINDOW_MS = 2000;

export type HashCacheIndex = ReadonlyMap<string, HashCacheEntry>;

export function hashCacheKey(file: FileIdentity): string {
  return `${file.dev}:${file.ino}:${file.size}:${file.mtimeMs}`;
}

/** The entry to record after hashing a file whose stat fields were read at `checkedAtMs`, just before hashing began. */
export function hashCacheEntry(file: FileIdentity, sha256: string, checkedAtMs: number): HashCacheEntry {
  return { dev: file.dev, ino: file.ino, size: file.size, mtimeMs: file.mtimeMs, sha256, checkedAtMs };
}

const trusted = (entry: HashCacheEntry): boolean => entry.checkedAtMs - entry.mtimeMs >= RACY_WINDOW_MS;

/** Indexes entries by key; for one key, a trusted entry beats an untrusted one, then the latest stat wins. */
export function indexHashCache(entries: Iterable<HashCacheEntry>): HashCacheIndex {
  const index = new Map<string, HashCacheEntry>();
  for (const entry of entries) {
    const key = hashCacheKey(entry);
    const held = index.get(key);
    const better = held === undefined
      || (trusted(entry) && !trusted(held))
      || (trusted(entry) === trusted(held) && entry.checkedAtMs >= held.checkedAtMs);
    if (better) index.set(key, entry);
  }
  return index;
}

export function decideHash(index: HashCacheIndex, file: FileIdentity): HashDecision {
  const entry = index.get(hashCacheKey(file));
  if (entry === undefined) return { kind: 'needs-hash', reason: 'unknown' };
  if (!trusted(entry)) return { kind: 'needs-hash', reason: 'racy' };
  return { kind: 'cached', sha256: entry.sha256 };
}

export interface HashedPath {
  readonly path: string;
  readonly sha256: string;
}

export interface Move {
  readonly from: string;
  readonly to: string;
  readonly sha256: string;
}

export interface ScanChanges {
  readonly moved: readonly Move[];
  /** Paths new in this scan that are not the destination of a move. */
  readonly appeared: readonly HashedPath[];
  /** Paths of the previous scan that are gone and were not moved. */
  readonly vanished: readonly HashedPath[];
}

const isUnder = (path: string, dirs: readonly string[]): boolean =>
  dirs.some((dir) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`));

/**
 * Compares two scans. A path that is gone, paired with a new path holding the same SHA-256, is a move; when
 * several copies move at once they are paired in path order. A file still present at its old path and copied
 * elsewhere is not a move but an appearance. Previous paths under `unscanned` (folders the walk could not read,
 * roots whose drive is absent) are not known to be gone and are left out of every list.
 */
export function detectChanges(
  previous: readonly HashedPath[],
  current: readonly HashedPath[],
  unscanned: readonly string[] = [],
): ScanChanges {
  const before = new Map(previous.map((file) => [file.path, file]));
  const now = new Set(current.map((file) => file.path));
  const byPath = (a: HashedPath, b: HashedPath): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const gone = previous.filter((file) => !now.has(file.path) && !isUnder(file.path, unscanned)).sort(byPath);
  const fresh = current.filter((file) => !before.has(file.path)).sort(byPath);

  const goneByHash = new Map<string, HashedPath[]>();
  for (const file of gone) goneByHash.set(file.sha256, [...(goneByHash.get(file.sha256) ?? []), file]);

  const moved: Move[] = [];
  const appeared: HashedPath[] = [];
  for (const file of fresh) {
    const source = goneByHash.get(file.sha256)?.shift();
    if (source === undefined) appeared.push(file);
    else moved.push({ from: source.path, to: file.path, sha256: file.sha256 });
  }
  const movedFrom = new Set(moved.map((move) => move.from));
  return { moved, appeared, vanished: gone.filter((file) => !movedFrom.has(file.path)) };
}
