// Real, minimal encodings of a solid-colour picture in each format CivitAI serves previews in. Each encoder
// writes the smallest valid stream of its format: clients can decode or sniff them like real previews.
import { crc32, deflateSync } from 'node:zlib';
import type { ImageFormat } from './world-spec.js';

export interface Rgb {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

export const IMAGE_CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** 8-bit truecolour PNG, every row filter 0. */
export function encodePng(width: number, height: number, colour: Rgb): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) row.set([colour.r, colour.g, colour.b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** One-symbol Huffman table: the only code is "0", of length 1. */
function singleCodeTable(tableClass: 0 | 1, symbol: number): Buffer {
  const counts = Buffer.alloc(16);
  counts[0] = 1;
  return jpegSegment(0xc4, Buffer.concat([Buffer.from([tableClass << 4]), counts, Buffer.from([symbol])]));
}

/**
 * Baseline greyscale JPEG of mid grey: every 8×8 block is "DC difference 0, end of block", two bits with the
 * one-code Huffman tables above. Only the final byte is padded with 1-bits, so no 0xFF byte ever needs stuffing.
 */
export function encodeJpeg(width: number, height: number): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bits / 8));
  if (bits % 8 !== 0) scan[scan.length - 1] = (1 << (8 - (bits % 8))) - 1;
  const frame = Buffer.from([8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  frame.writeUInt16BE(height, 1);
  frame.writeUInt16BE(width, 3);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])),
    jpegSegment(0xc0, frame),
    singleCodeTable(0, 0x00),
    singleCodeTable(1, 0x00),
    jpegSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** LSB-first bit packing, as VP8L reads its stream. */
class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number, width: number): this {
    for (let i = 0; i < width; i += 1) {
      this.current |= ((value >> i) & 1) << this.used;
      this.used += 1;
      if (this.used === 8) this.flushByte();
    }
    return this;
  }

  toBuffer(): Buffer {
    if (this.used > 0) this.flushByte();
    return Buffer.from(this.bytes);
  }

  private flushByte(): void {
    this.bytes.push(this.current);
    this.current = 0;
    this.used = 0;
  }
}

/**
 * Lossless WebP (VP8L) of one colour: no transforms, no colour cache, and five "simple" prefix codes of one
 * symbol each, so every pixel costs zero bits whatever the size.
 */
export function encodeWebp(width: number, height: number, colour: Rgb): Buffer {
  const bits = new BitWriter().write(width - 1, 14).write(height - 1, 14).write(0, 1).write(0, 3);
  bits.write(0, 1).write(0, 1).write(0, 1); // no transform, no colour cache, no meta prefix codes
  for (const symbol of [colour.g, colour.r, colour.b, 0xff, 0]) bits.write(1, 1).write(0, 1).write(1, 1).write(symbol, 8);
  const payload = Buffer.concat([Buffer.from([0x2f]), bits.toBuffer()]);
  const padded = payload.length % 2 === 0 ? payload : Buffer.concat([payload, Buffer.alloc(1)]);
  const chunkHead = Buffer.alloc(8);
  chunkHead.write('VP8L', 0, 'latin1');
  chunkHead.writeUInt32LE(payload.length, 4);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(4 + chunkHead.length + padded.length, 4);
  riff.write('WEBP', 8, 'latin1');
  return Buffer.concat([riff, chunkHead, padded]);
}

export function encodeImage(format: ImageFormat, width: number, height: number, colour: Rgb): Buffer {
  if (format === 'png') return encodePng(width, height, colour);
  if (format === 'webp') return encodeWebp(width, height, colour);
  return encodeJpeg(width, height);
}
