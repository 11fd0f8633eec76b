// The text chunks of a PNG with compressed text inflated by Node's zlib, within a bound.
import { inflateSync } from 'node:zlib';
import type { Result } from 'neverthrow';
import { MAX_PNG_TEXT_BYTES, readPngTextChunks, textsOf } from './png-chunks.js';

function inflate(deflated: Uint8Array): Uint8Array | undefined {
  try {
    return inflateSync(deflated, { maxOutputLength: MAX_PNG_TEXT_BYTES });
  } catch {
    return undefined;
  }
}

/** keyword → text of every readable text chunk (the first chunk of a keyword wins, as readers do). */
export function readPngText(bytes: Uint8Array): Result<Map<string, string>, string> {
  return readPngTextChunks(bytes).map((chunks) => textsOf(chunks, inflate));
}
