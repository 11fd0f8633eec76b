// The text chunks of a PNG (tEXt, zTXt, iTXt), where ComfyUI saves the UI workflow (`workflow`) and the API prompt
// (`prompt`), walked without inflating anything: compressed text comes back as its deflated bytes, for the caller
// to inflate with what its platform has (zlib in Node, DecompressionStream in a browser). Pure, Uint8Array only,
// and never throws on bad input: a broken file is an error value.
import { err, ok, type Result } from 'neverthrow';

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest text a compressed chunk may inflate to, so a hostile file cannot exhaust memory. */
export const MAX_PNG_TEXT_BYTES = 64 * 1024 * 1024;

export type PngTextChunk =
  | { readonly keyword: string; readonly text: string }
  /** zTXt text is Latin-1 and iTXt text UTF-8 once inflated. */
  | { readonly keyword: string; readonly deflated: Uint8Array; readonly encoding: 'latin1' | 'utf8' };

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** ISO-8859-1 as PNG means it (TextDecoder's "latin1" is windows-1252, which differs at 0x80–0x9f). */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; at += 8192) text += String.fromCharCode(...bytes.subarray(at, at + 8192));
  return text;
}

const utf8 = new TextDecoder('utf-8');

const uint32 = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);

/** Every text chunk in file order (a reader keeps the first readable one of a keyword). */
export function readPngTextChunks(bytes: Uint8Array): Result<PngTextChunk[], string> {
  if (!isPng(bytes)) return err('not a PNG file (no PNG signature)');
  const chunks: PngTextChunk[] = [];
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const length = uint32(bytes, at);
    const type = latin1(bytes.subarray(at + 4, at + 8));
    const start = at + 8;
    const end = start + length;
    if (end + 4 > bytes.length) return err(`the PNG is cut short inside its ${type} chunk`);
    const data = bytes.subarray(start, end);
    const chunk = type === 'tEXt' || type === 'zTXt' || type === 'iTXt' ? readTextChunk(type, data) : undefined;
    if (chunk) chunks.push(chunk);
    if (type === 'IEND') break;
    at = end + 4;
  }
  return ok(chunks);
}

function readTextChunk(type: 'tEXt' | 'zTXt' | 'iTXt', data: Uint8Array): PngTextChunk | undefined {
  const nul = data.indexOf(0);
  if (nul <= 0) return undefined;
  const keyword = latin1(data.subarray(0, nul));
  if (type === 'tEXt') return { keyword, text: latin1(data.subarray(nul + 1)) };
  if (type === 'zTXt') return data[nul + 1] === 0 ? { keyword, deflated: data.subarray(nul + 2), encoding: 'latin1' } : undefined;
  // iTXt: keyword \0 flag method language \0 translated keyword \0 text (UTF-8, maybe deflated)
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return undefined;
  const body = data.subarray(translatedEnd + 1);
  return compressed ? { keyword, deflated: body, encoding: 'utf8' } : { keyword, text: utf8.decode(body) };
}

/** keyword → text, the first readable chunk of each keyword winning; `inflate` gives undefined for bad data. */
export function textsOf(chunks: readonly PngTextChunk[], inflate: (deflated: Uint8Array) => Uint8Array | undefined): Map<string, string> {
  const texts = new Map<string, string>();
  for (const chunk of chunks) {
    if (texts.has(chunk.keyword)) continue;
    if ('text' in chunk) {
      texts.set(chunk.keyword, chunk.text);
      continue;
    }
    const inflated = inflate(chunk.deflated);
    if (inflated) texts.set(chunk.keyword, chunk.encoding === 'utf8' ? utf8.decode(inflated) : latin1(inflated));
  }
  return texts;
}
