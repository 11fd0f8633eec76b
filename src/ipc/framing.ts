import { err, ok, type Result } from 'neverthrow';

/**
 * NDJSON framing: one JSON value per `\n`-terminated line.
 *
 * The decoder is pure (bytes in, frames out) so the socket code stays thin and every edge case
 * (split chunks, oversized lines, garbage) is testable without I/O.
 */

/** Largest line a client may send the daemon. Requests are small; anything bigger is a bug or an attack. */
export const MAX_REQUEST_FRAME_BYTES = 1024 * 1024;
/** Largest line the daemon sends back (a `history` page can be large); the client trusts the daemon more. */
export const MAX_RESPONSE_FRAME_BYTES = 64 * 1024 * 1024;

export type FrameErrorCode = 'BAD_FRAME' | 'FRAME_TOO_LARGE';
export interface FrameError {
  readonly code: FrameErrorCode;
  readonly message: string;
}
export type DecodedFrame = Result<unknown, FrameError>;

export interface FrameDecoder {
  /** Feeds bytes; returns every frame completed by them, in order. */
  push(chunk: Uint8Array): DecodedFrame[];
  /** The stream ended: a last line without its newline is still a frame (or a truncated one). */
  end(): DecodedFrame[];
  /** Whether a frame has begun and not ended yet (bytes kept, or an oversized line being skipped). */
  inFrame(): boolean;
  /** Bytes of the unfinished frame kept in memory. */
  pendingBytes(): number;
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createFrameDecoder(maxFrameBytes: number): FrameDecoder {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  // True while skipping the rest of a line already reported as too large: the connection survives
  // and resynchronises on the next newline.
  let discarding = false;

  const tooLarge = (): DecodedFrame =>
    err({
      code: 'FRAME_TOO_LARGE',
      message: `frame exceeds ${maxFrameBytes} bytes and was dropped: send smaller requests, one JSON object per line`,
    });

  const takeLine = (last: Uint8Array): Uint8Array => {
    const line = pending.length === 0 ? last : Buffer.concat([...pending, last]);
    pending = [];
    pendingBytes = 0;
    return line;
  };

  return {
    push(chunk) {
      const out: DecodedFrame[] = [];
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline === -1) {
          const rest = chunk.subarray(start);
          if (discarding || rest.length === 0) return out;
          if (pendingBytes + rest.length > maxFrameBytes) {
            pending = [];
            pendingBytes = 0;
            discarding = true;
            out.push(tooLarge());
          } else {
            pending.push(rest);
            pendingBytes += rest.length;
          }
          return out;
        }
        const piece = chunk.subarray(start, newline);
        start = newline + 1;
        if (discarding) {
          discarding = false;
          continue;
        }
        if (pendingBytes + piece.length > maxFrameBytes) {
          takeLine(piece);
          out.push(tooLarge());
          continue;
        }
        const frame = decodeLine(takeLine(piece), false);
        if (frame !== undefined) out.push(frame);
      }
    },
    inFrame: () => discarding || pendingBytes > 0,
    pendingBytes: () => pendingBytes,
    end() {
      if (discarding || pendingBytes === 0) return [];
      const frame = decodeLine(takeLine(new Uint8Array(0)), true);
      return frame === undefined ? [] : [frame];
    },
  };
}

/** `undefined` for blank lines, which NDJSON readers conventionally skip. */
function decodeLine(bytes: Uint8Array, atEndOfStream: boolean): DecodedFrame | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return err({ code: 'BAD_FRAME', message: 'frame is not valid UTF-8: send JSON text, one object per line' });
  }
  if (text.trim() === '') return undefined;
  try {
    return ok(JSON.parse(text));
  } catch {
    // The parser's own message quotes the input; keep the frame's content (maybe a secret) out of errors.
    const what = atEndOfStream ? 'the stream ended inside a frame (truncated JSON)' : 'frame is not valid JSON';
    return err({ code: 'BAD_FRAME', message: `${what}: send one complete JSON object per line` });
  }
}

/** JSON.stringify escapes control characters, so the encoded value never contains a raw newline. */
export function encodeFrame(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
