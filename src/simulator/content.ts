// Deterministic file bodies generated from position, so any range of a file of any size can be served (and
// hashed) without the file ever existing on disk.
import { createCipheriv, createHash } from 'node:crypto';

/** The bytes of one simulated file. `end` is exclusive, as in Buffer#subarray. */
export interface FileContent {
  readonly length: number;
  /** A fresh copy of [start, end). */
  read(start: number, end: number): Buffer;
  /**
   * The bytes of [start, end) as consecutive pieces of at most `maxPiece` bytes. Pieces are mostly views of a
   * shared block (so serving a GiB copies nothing): callers must not modify them.
   */
  pieces(start: number, end: number, maxPiece?: number): Generator<Buffer>;
}

const BLOCK_SIZE = 1024 * 1024;
/** Every 64 KiB the absolute offset is mixed into the first 8 bytes, so no two ranges of a file share bytes and
 *  a client that writes a chunk at the wrong offset produces a file whose SHA-256 does not match. */
const STAMP_INTERVAL = 64 * 1024;
const STAMP_BYTES = 8;

const baseBlocks = new Map<string, Buffer>();
const MAX_CACHED_BASE_BLOCKS = 64;

/** 1 MiB of AES-CTR keystream: fast, seeded, identical on every Node version. */
function baseBlock(seed: string): Buffer {
  const cached = baseBlocks.get(seed);
  if (cached) return cached;
  const key = createHash('sha256').update(`comfyui-dl simulator file ${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const block = Buffer.concat([cipher.update(Buffer.alloc(BLOCK_SIZE)), cipher.final()]);
  if (baseBlocks.size >= MAX_CACHED_BASE_BLOCKS) {
    const oldest = baseBlocks.keys().next().value;
    if (oldest !== undefined) baseBlocks.delete(oldest);
  }
  baseBlocks.set(seed, block);
  return block;
}

/**
 * A file of `length` bytes: seeded filler everywhere, with `prefix` laid over its first bytes (a safetensors
 * header, a pickle opcode stream…). The filler at a position does not depend on the prefix.
 */
export function generatedContent(seed: string, length: number, prefix: Buffer = Buffer.alloc(0)): FileContent {
  if (prefix.length > length) throw new Error(`prefix (${prefix.length} B) longer than the file (${length} B)`);
  const base = baseBlock(seed);

  /** The 64 KiB segment starting at `segmentStart`, as a fresh buffer (only used where the prefix lies). */
  const freshSegment = (segmentStart: number): Buffer => {
    const inBlock = segmentStart % BLOCK_SIZE;
    const segment = Buffer.from(base.subarray(inBlock, inBlock + STAMP_INTERVAL));
    segment.writeBigUInt64LE(segment.readBigUInt64LE(0) ^ BigInt(segmentStart), 0);
    prefix.copy(segment, 0, segmentStart, Math.min(prefix.length, segmentStart + STAMP_INTERVAL));
    return segment;
  };
  const stamp = (segmentStart: number): Buffer => {
    const inBlock = segmentStart % BLOCK_SIZE;
    const bytes = Buffer.alloc(STAMP_BYTES);
    bytes.writeBigUInt64LE(base.readBigUInt64LE(inBlock) ^ BigInt(segmentStart), 0);
    return bytes;
  };

  function* segments(start: number, end: number): Generator<Buffer> {
    let at = start;
    while (at < end) {
      const segmentStart = at - (at % STAMP_INTERVAL);
      const segmentEnd = Math.min(end, segmentStart + STAMP_INTERVAL);
      if (segmentStart < prefix.length) {
        yield freshSegment(segmentStart).subarray(at - segmentStart, segmentEnd - segmentStart);
        at = segmentEnd;
        continue;
      }
      const stampEnd = Math.min(segmentEnd, segmentStart + STAMP_BYTES);
      if (at < stampEnd) {
        yield stamp(segmentStart).subarray(at - segmentStart, stampEnd - segmentStart);
        at = stampEnd;
      }
      if (at < segmentEnd) {
        const inBlock = segmentStart % BLOCK_SIZE;
        yield base.subarray(inBlock + at - segmentStart, inBlock + segmentEnd - segmentStart);
        at = segmentEnd;
      }
    }
  }

  function* pieces(start: number, end: number, maxPiece: number): Generator<Buffer> {
    for (const segment of segments(start, end)) {
      for (let from = 0; from < segment.length; from += maxPiece) yield segment.subarray(from, from + maxPiece);
    }
  }

  return {
    length,
    pieces(start, end, maxPiece = STAMP_INTERVAL) {
      checkRange(start, end, length);
      return pieces(start, end, maxPiece);
    },
    read(start, end) {
      checkRange(start, end, length);
      return Buffer.concat([...segments(start, end)], end - start);
    },
  };
}

function checkRange(start: number, end: number, length: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > length) {
    throw new RangeError(`range [${start}, ${end}) is outside a file of ${length} bytes`);
  }
}
