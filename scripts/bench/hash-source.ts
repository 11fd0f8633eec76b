// The file the hashing section reads: incompressible bytes, written once, with its SHA-256 computed on the way
// (independently of every tool under test).
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

const BLOCK = 16 * 1024 * 1024;

/** Writes `bytes` (a multiple of 16 MiB) to `path`; returns their SHA-256 as lowercase hex. */
export function writeHashSource(path: string, bytes: number): string {
  const block = randomFillSync(Buffer.allocUnsafe(BLOCK));
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < bytes; at += BLOCK) {
      // A different first word per block, so no two blocks are equal.
      block.writeBigUInt64LE(BigInt(at), 0);
      hash.update(block);
      writeSync(fd, block, 0, BLOCK, at);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
