// Writes small PNGs with text chunks, as ComfyUI's SaveImage does (via PIL's PngInfo), for the workflow tests.
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export type TextChunk =
  | { readonly kind: 'tEXt'; readonly keyword: string; readonly text: string }
  | { readonly kind: 'zTXt'; readonly keyword: string; readonly text: string }
  | { readonly kind: 'iTXt'; readonly keyword: string; readonly text: string; readonly compressed: boolean };

function textChunk(text: TextChunk): Buffer {
  const keyword = Buffer.from(`${text.keyword}\0`, 'latin1');
  switch (text.kind) {
    case 'tEXt':
      return chunk('tEXt', Buffer.concat([keyword, Buffer.from(text.text, 'latin1')]));
    case 'zTXt':
      return chunk('zTXt', Buffer.concat([keyword, Buffer.from([0]), deflateSync(Buffer.from(text.text, 'latin1'))]));
    case 'iTXt': {
      const body = text.compressed ? deflateSync(Buffer.from(text.text, 'utf8')) : Buffer.from(text.text, 'utf8');
      return chunk('iTXt', Buffer.concat([keyword, Buffer.from([text.compressed ? 1 : 0, 0]), Buffer.from('\0\0', 'latin1'), body]));
    }
  }
}

/** A 1×1 RGB PNG carrying the given text chunks before its image data. */
export function pngWithText(texts: readonly TextChunk[]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...texts.map(textChunk),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
