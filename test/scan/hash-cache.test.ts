import { describe, expect, it } from 'vitest';
import {
  decideHash, detectChanges, hashCacheEntry, hashCacheEntrySchema, indexHashCache, RACY_WINDOW_MS,
  type FileIdentity, type HashCacheEntry,
} from '../../src/handlers/scan/hash-cache.js';

const sha = (c: string): string => c.repeat(64);
const file: FileIdentity = { dev: 2049, ino: 131_074, size: 6_938_078_334, mtimeMs: 1_700_000_000_123.456 };
const hashedLater = hashCacheEntry(file, sha('a'), file.mtimeMs + 60_000);

describe('hash cache decisions', () => {
  const table: [string, HashCacheEntry[], FileIdentity, ReturnType<typeof decideHash>][] = [
    ['empty cache', [], file, { kind: 'needs-hash', reason: 'unknown' }],
    ['same device, inode, size and mtime', [hashedLater], file, { kind: 'cached', sha256: sha('a') }],
    ['size changed', [hashedLater], { ...file, size: file.size + 1 }, { kind: 'needs-hash', reason: 'unknown' }],
    ['mtime changed by a microsecond', [hashedLater], { ...file, mtimeMs: file.mtimeMs + 0.001 }, { kind: 'needs-hash', reason: 'unknown' }],
    ['replaced by another inode', [hashedLater], { ...file, ino: file.ino + 1 }, { kind: 'needs-hash', reason: 'unknown' }],
    ['same inode number on another device', [hashedLater], { ...file, dev: 2050 }, { kind: 'needs-hash', reason: 'unknown' }],
    ['hashed within the racy window after the last write',
      [hashCacheEntry(file, sha('a'), file.mtimeMs + RACY_WINDOW_MS - 1)], file, { kind: 'needs-hash', reason: 'racy' }],
    ['hashed exactly the racy window after the last write',
      [hashCacheEntry(file, sha('a'), file.mtimeMs + RACY_WINDOW_MS)], file, { kind: 'cached', sha256: sha('a') }],
    ['a racy entry, then a trusted rehash',
      [hashCacheEntry(file, sha('b'), file.mtimeMs + 10), hashedLater], file, { kind: 'cached', sha256: sha('a') }],
    ['a trusted entry is not displaced by a later racy one (clock stepped back)',
      [hashedLater, hashCacheEntry(file, sha('b'), file.mtimeMs + 10)], file, { kind: 'cached', sha256: sha('a') }],
    ['of two trusted entries the latest wins',
      [hashedLater, hashCacheEntry(file, sha('c'), file.mtimeMs + 120_000)], file, { kind: 'cached', sha256: sha('c') }],
  ];
  it.each(table)('%s', (_name, entries, probe, expected) => {
    expect(decideHash(indexHashCache(entries), probe)).toEqual(expected);
  });

  it('keeps entries as plain data that survive JSON and validate with the schema', () => {
    const stored = JSON.parse(JSON.stringify(hashedLater)) as unknown;
    const parsed = hashCacheEntrySchema.parse(stored);
    expect(decideHash(indexHashCache([parsed]), file)).toEqual({ kind: 'cached', sha256: sha('a') });
    expect(hashCacheEntrySchema.safeParse({ ...hashedLater, sha256: 'ABC' }).success).toBe(false);
  });
});

describe('detectChanges', () => {
  const at = (path: string, c: string) => ({ path, sha256: sha(c) });

  it('pairs a vanished path with a new path holding the same content as a move', () => {
    const changes = detectChanges(
      [at('/m/loras/a.safetensors', 'a'), at('/m/loras/b.safetensors', 'b')],
      [at('/m/loras/flux/a.safetensors', 'a'), at('/m/loras/b.safetensors', 'b'), at('/m/loras/c.safetensors', 'c')],
    );
    expect(changes).toEqual({
      moved: [{ from: '/m/loras/a.safetensors', to: '/m/loras/flux/a.safetensors', sha256: sha('a') }],
      appeared: [at('/m/loras/c.safetensors', 'c')],
      vanished: [],
    });
  });

  it('treats a copy whose original is still there as an appearance, not a move', () => {
    const changes = detectChanges([at('/m/a', 'a')], [at('/m/a', 'a'), at('/m/copy-of-a', 'a')]);
    expect(changes).toEqual({ moved: [], appeared: [at('/m/copy-of-a', 'a')], vanished: [] });
  });

  it('reports a deletion as vanished and a changed file at the same path as neither', () => {
    const changes = detectChanges([at('/m/a', 'a'), at('/m/b', 'b')], [at('/m/b', 'B')]);
    expect(changes).toEqual({ moved: [], appeared: [], vanished: [at('/m/a', 'a')] });
  });

  it('pairs several identical copies moved at once in path order, leftovers appear', () => {
    const changes = detectChanges(
      [at('/m/old2', 'a'), at('/m/old1', 'a')],
      [at('/m/new3', 'a'), at('/m/new1', 'a'), at('/m/new2', 'a')],
    );
    expect(changes.moved.map((m) => [m.from, m.to])).toEqual([['/m/old1', '/m/new1'], ['/m/old2', '/m/new2']]);
    expect(changes.appeared).toEqual([at('/m/new3', 'a')]);
    expect(changes.vanished).toEqual([]);
  });

  it('does not call files under an unscanned folder gone', () => {
    const changes = detectChanges(
      [at('/mnt/usb/models/a', 'a'), at('/mnt/usb/models-other/b', 'b'), at('/m/c', 'c')],
      [at('/m/elsewhere/a', 'a')],
      ['/mnt/usb/models'],
    );
    expect(changes).toEqual({
      moved: [],
      appeared: [at('/m/elsewhere/a', 'a')],
      vanished: [at('/m/c', 'c'), at('/mnt/usb/models-other/b', 'b')],
    });
  });
});
