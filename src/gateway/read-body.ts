import type { IncomingMessage } from 'node:http';
import { err, ok, type Result } from 'neverthrow';
import { reject, type Rejection } from './errors.js';

/** Reads a request body of at most `limit` bytes; a larger one is refused without being buffered. */
export function readBody(req: IncomingMessage, limit: number): Promise<Result<Buffer, Rejection>> {
  const tooLarge = reject(413, 'BODY_TOO_LARGE', `request bodies are limited to ${limit} bytes`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.resolve(err(tooLarge));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        resolve(err(tooLarge));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(ok(Buffer.concat(chunks))));
    req.once('error', () => resolve(err(reject(400, 'BAD_JSON', 'the request body could not be read'))));
  });
}
