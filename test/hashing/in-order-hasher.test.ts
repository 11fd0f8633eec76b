import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInOrderHasher } from '../../src/hashing/index.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'in-order-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('in-order hasher', () => {
  it('gives the whole-file hash when segments are written and finish out of order', async () => {
    const bytes = randomBytes(24 * 1024 * 1024 + 17);
    const path = join(dir, 'out-of-order.part');
    const file = await open(path, 'w+');
    await file.truncate(bytes.length);
    const hasher = createInOrderHasher(path);
    try {
      // Four segments written in interleaved 1 MiB pieces; the first segment finishes last.
      const quarter = Math.ceil(bytes.length / 4);
      const piece = 1024 * 1024;
      const cursors = [0, 1, 2, 3].map((i) => ({ at: i * quarter, end: Math.min(bytes.length, (i + 1) * quarter) }));
      const order = [3, 2, 1, 3, 2, 1, 0];
      for (;;) {
        const busy = cursors.filter((c) => c.at < c.end);
        if (busy.length === 0) break;
        for (const index of order) {
          const cursor = cursors[index]!;
          if (cursor.at >= cursor.end || (index === 0 && busy.length > 1)) continue;
          const end = Math.min(cursor.end, cursor.at + piece);
          await file.write(bytes, cursor.at, end - cursor.at, cursor.at);
          hasher.markWritten(cursor.at, end);
          cursor.at = end;
        }
      }
      expect(hasher.frontier).toBe(bytes.length);
      expect(await hasher.digest(bytes.length)).toBe(sha256(bytes));
    } finally {
      await hasher.close();
      await file.close();
    }
  });

  it('hashes file after file on kept threads, a file left half-way never bleeding into the next', async () => {
    const files = [randomBytes(3_000_000), randomBytes(2_000_000), randomBytes(4_000_001)];
    const abandoned = randomBytes(1_000_000);
    const abandonedPath = join(dir, 'abandoned.part');
    const first = await open(abandonedPath, 'w+');
    await first.write(abandoned, 0, abandoned.length, 0);
    await first.close();
    const left = createInOrderHasher(abandonedPath);
    left.markWritten(0, abandoned.length);
    await left.close();
    // More at once than threads are kept, then one after the other: each answers for its own file.
    const all = await Promise.all(files.map(async (bytes, i) => {
      const path = join(dir, `batch-${i}.part`);
      const file = await open(path, 'w+');
      await file.write(bytes, 0, bytes.length, 0);
      await file.close();
      return path;
    }));
    for (let round = 0; round < 2; round++) {
      const hashers = all.map((path) => createInOrderHasher(path));
      hashers.forEach((h, i) => h.markWritten(0, files[i]!.length));
      expect(await Promise.all(hashers.map((h, i) => h.digest(files[i]!.length)))).toEqual(files.map(sha256));
      await Promise.all(hashers.map((h) => h.close()));
    }
  });

  it('starts over after reset, so bytes of an abandoned attempt never count', async () => {
    const stale = randomBytes(5_000_000);
    const fresh = randomBytes(5_000_000);
    const path = join(dir, 'restart.part');
    const file = await open(path, 'w+');
    const hasher = createInOrderHasher(path);
    try {
      await file.write(stale, 0, stale.length, 0);
      hasher.markWritten(0, stale.length);
      hasher.reset();
      expect(hasher.frontier).toBe(0);
      await file.write(fresh, 0, fresh.length, 0);
      hasher.markWritten(0, fresh.length);
      expect(await hasher.digest(fresh.length)).toBe(sha256(fresh));
    } finally {
      await hasher.close();
      await file.close();
    }
  });

  it('refuses to digest past the written prefix and reports a file shorter than claimed', async () => {
    const path = join(dir, 'short.part');
    const file = await open(path, 'w+');
    await file.write(Buffer.alloc(100), 0, 100, 0);
    await file.close();
    const hasher = createInOrderHasher(path);
    try {
      expect(() => hasher.digest(100)).toThrow(/only \[0, 0\)/);
      hasher.markWritten(0, 200);
      await expect(hasher.digest(200)).rejects.toMatchObject({ code: 'SHORT_FILE' });
    } finally {
      await hasher.close();
    }
  });
});
