import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { GitBlobHasher, gitBlobId, matchesGitBlobId } from '../../src/huggingface/git-blob.js';

describe('git blob id', () => {
  it('matches what git computes (`git hash-object`) for known contents', () => {
    expect(gitBlobId(Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobId(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(gitBlobId(Buffer.from('what is up, doc?'))).toBe('bd9dbf5aae1a3862dd1526723246b20206e5fc37');
  });

  it('is the same in one piece, in chunks and incrementally, for any content and split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(4096), (bytes, cut) => {
        const buffer = Buffer.from(bytes);
        const at = Math.min(cut, buffer.length);
        const whole = gitBlobId(buffer);
        expect(gitBlobId([buffer.subarray(0, at), buffer.subarray(at)], buffer.length)).toBe(whole);
        const hasher = new GitBlobHasher(buffer.length);
        hasher.update(buffer.subarray(0, at));
        hasher.update(buffer.subarray(at));
        expect(hasher.digest()).toBe(whole);
        expect(whole).toBe(createHash('sha1').update(Buffer.concat([Buffer.from(`blob ${buffer.length}\0`), buffer])).digest('hex'));
      }),
    );
  });

  it('refuses a size that does not match the content, and tells a changed byte or length', () => {
    expect(() => gitBlobId([Buffer.from('abc')], 4)).toThrow(RangeError);
    const hasher = new GitBlobHasher(10);
    hasher.update(Buffer.from('short'));
    expect(hasher.digest()).toBeUndefined();
    const id = gitBlobId(Buffer.from('{"a": 1}\n'));
    expect(matchesGitBlobId(Buffer.from('{"a": 1}\n'), id.toUpperCase())).toBe(true);
    expect(matchesGitBlobId(Buffer.from('{"a": 2}\n'), id)).toBe(false);
    expect(matchesGitBlobId(Buffer.from('{"a": 1}'), id)).toBe(false);
  });
});
