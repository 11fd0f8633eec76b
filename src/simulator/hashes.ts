// The hashes CivitAI advertises for a file, computed from the bytes the storage host serves. BLAKE3 is omitted:
// node:crypto has no BLAKE3, and clients must treat `hashes` as an open map anyway (files without some or all
// hashes exist on the real site).
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { FileContent } from './content.js';

export type FileHashes = Readonly<Record<string, string>>;

/** The old A1111 model hash: SHA-256 of the 64 KiB at offset 1 MiB, first 8 hex digits. */
const AUTOV1_OFFSET = 0x100000;
const AUTOV1_LENGTH = 0x10000;

/**
 * One pass over the file. `tensorDataStart` (safetensors only) enables AutoV3, the SHA-256 of everything after
 * the header, which is how third-party tools compute it.
 */
export function computeHashes(content: FileContent, tensorDataStart?: number): FileHashes {
  const sha256 = createHash('sha256');
  const afterHeader = tensorDataStart === undefined ? undefined : createHash('sha256');
  let crc = 0;
  let at = 0;
  for (const chunk of content.pieces(0, content.length)) {
    sha256.update(chunk);
    crc = crc32(chunk, crc);
    if (afterHeader && tensorDataStart !== undefined && at + chunk.length > tensorDataStart) {
      afterHeader.update(chunk.subarray(Math.max(0, tensorDataStart - at)));
    }
    at += chunk.length;
  }
  const autoV1Range = content.read(Math.min(AUTOV1_OFFSET, content.length), Math.min(AUTOV1_OFFSET + AUTOV1_LENGTH, content.length));
  const full = sha256.digest('hex').toUpperCase();
  const hashes: Record<string, string> = {
    AutoV1: createHash('sha256').update(autoV1Range).digest('hex').slice(0, 8).toUpperCase(),
    AutoV2: full.slice(0, 10),
    SHA256: full,
    CRC32: crc.toString(16).padStart(8, '0').toUpperCase(),
  };
  if (afterHeader) hashes.AutoV3 = afterHeader.digest('hex').slice(0, 12).toUpperCase();
  return hashes;
}
