// The text chunks of a PNG (tEXt, zTXt, iTXt), where ComfyUI saves the UI workflow (`workflow`) and the API prompt
// (`prompt`). Pure; never throws on bad input: a broken file is an error value, and compressed text is inflated
// within a bound so a hostile file cannot exhaust memory.
import { inflateSync } from 'node:zlib';
import { err, ok, type Result } from 'neverthrow';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest text a chunk may inflate to. */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.equals(Buffer.from(bytes.buffer, bytes.byteOffset, PNG_SIGNATURE.length));
}

function inflate(data: Buffer): string | undefined {
  try {
    return inflateSync(data, { maxOutputLength: MAX_TEXT_BYTES }).toString('utf8');
  } catch {
    return undefined;
  }
}

function inflateLatin1(data: Buffer): string | undefined {
  try {
    return inflateSync(data, { maxOutputLength: MAX_TEXT_BYTES }).toString('latin1');
  } catch {
    return undefined;
  }
}

/** keyword → text of every readable text chunk (the first chunk of a keyword wins, as readers do). */
export function readPngText(bytes: Uint8Array): Result<Map<string, string>, string> {
  const png = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isPng(png)) return err('not a PNG file (no PNG signature)');
  const texts = new Map<string, string>();
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const start = at + 8;
    const end = start + length;
    if (end + 4 > png.length) return err(`the PNG is cut short inside its ${type} chunk`);
    const data = png.subarray(start, end);
    const text = type === 'tEXt' || type === 'zTXt' || type === 'iTXt' ? readTextChunk(type, data) : undefined;
    if (text && !texts.has(text.keyword)) texts.set(text.keyword, text.text);
    if (type === 'IEND') break;
    at = end + 4;
  }
  return ok(texts);
}

function readTextChunk(type: 'tEXt' | 'zTXt' | 'iTXt', data: Buffer): { keyword: string; text: string } | undefined {
  const nul = data.indexOf(0);
  if (nul <= 0) return undefined;
  const keyword = data.toString('latin1', 0, nul);
  if (type === 'tEXt') return { keyword, text: data.toString('latin1', nul + 1) };
  if (type === 'zTXt') {
    const text = data[nul + 1] === 0 ? inflateLatin1(data.subarray(nul + 2)) : undefined;
    return text === undefined ? undefined : { keyword, text };
  }
  // iTXt: keyword \0 flag method language \0 translated keyword \0 text (UTF-8, maybe deflated)
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return undefined;
  const body = data.subarray(translatedEnd + 1);
  const text = compressed ? inflate(body) : body.toString('utf8');
  return text === undefined ? undefined : { keyword, text };
}
