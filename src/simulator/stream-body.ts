// Streams a byte range of a generated file with large vectored writes and real backpressure, optionally
// misbehaving the way flaky storage and networks do (drop, stall, throttle, a flipped byte).
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileContent } from './content.js';

export interface BodyShaping {
  /** Close the connection once this many body bytes are sent. */
  readonly dropAfter?: number;
  readonly stall?: { readonly afterBytes: number; readonly ms: number };
  readonly bytesPerSecond?: number;
  /** Absolute file offset whose byte is served flipped. */
  readonly corruptOffset?: number;
}

/** Pieces are gathered into one corked, vectored write of about this size. */
const BATCH_BYTES = 1024 * 1024;
/** Throttled bodies are paced in slices of this many per second. */
const THROTTLE_SLICES_PER_SECOND = 20;

function gone(res: ServerResponse): boolean {
  // No socket yet is not "gone": on a kept-alive connection the next response is attached only when the previous
  // one has finished, which a throttled body can still be doing.
  return res.destroyed || (res.socket !== null && res.socket.destroyed);
}

/** Hands `batch` to the socket in one vectored write; resolves when it can take more, false if the client left. */
function writeBatch(res: ServerResponse, batch: readonly Buffer[]): Promise<boolean> {
  res.cork();
  let ready = true;
  for (const piece of batch) ready = res.write(piece);
  res.uncork();
  if (ready) return Promise.resolve(!gone(res));
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** Sends the bytes still buffered, then closes the connection without finishing the response. */
function dropConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  res.flushHeaders();
  socket.end(() => socket.destroy());
}

function corrupted(piece: Buffer, pieceStart: number, offset: number | undefined): Buffer {
  if (offset === undefined || offset < pieceStart || offset >= pieceStart + piece.length) return piece;
  const copy = Buffer.from(piece);
  copy[offset - pieceStart] = (copy[offset - pieceStart] ?? 0) ^ 0xff;
  return copy;
}

/** `end` is exclusive. Headers must already be set; this writes the body and ends (or drops) the response. */
export async function streamBody(res: ServerResponse, content: FileContent, start: number, end: number, shaping: BodyShaping = {}): Promise<void> {
  const { dropAfter, stall, bytesPerSecond, corruptOffset } = shaping;
  const sliceBytes = bytesPerSecond ? Math.max(1, Math.floor(bytesPerSecond / THROTTLE_SLICES_PER_SECOND)) : BATCH_BYTES;
  const startedAt = Date.now();
  let stallPending = stall !== undefined;
  let sent = 0;
  let batch: Buffer[] = [];
  let queued = 0;

  /** The next body offset where something must happen once the bytes before it are sent. */
  const nextCut = (): number => {
    const cuts = [dropAfter, stallPending ? stall?.afterBytes : undefined, sent + sliceBytes];
    return Math.min(...cuts.filter((cut): cut is number => cut !== undefined && cut > sent));
  };
  /** Sends the batch, then stalls, paces or drops as due. False when the response is over. */
  const flushAndShape = async (): Promise<boolean> => {
    if (queued > 0) {
      if (!(await writeBatch(res, batch))) return false;
      sent += queued;
      batch = [];
      queued = 0;
    }
    if (dropAfter !== undefined && sent >= dropAfter) {
      dropConnection(res);
      return false;
    }
    if (stallPending && stall && sent >= stall.afterBytes) {
      stallPending = false;
      await sleep(stall.ms);
    }
    if (bytesPerSecond) {
      const due = startedAt + (sent / bytesPerSecond) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    return !gone(res);
  };

  // A real server's headers leave before its body: a stall at byte 0 is a silent body, not missing headers.
  res.flushHeaders();
  if (!(await flushAndShape())) return;
  let cut = nextCut();
  for (const fresh of content.pieces(start, end)) {
    let piece = corrupted(fresh, start + sent + queued, corruptOffset);
    while (piece.length > 0) {
      const part = piece.subarray(0, cut - sent - queued);
      batch.push(part);
      queued += part.length;
      piece = piece.subarray(part.length);
      if (sent + queued === cut) {
        if (!(await flushAndShape())) return;
        cut = nextCut();
      }
    }
  }
  if (!(await flushAndShape())) return;
  res.end();
}
