import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { err, ok, type Result } from 'neverthrow';
import { errnoCode } from '../ipc/unix-path.js';

export type RegularFileError =
  | { readonly code: 'ABSENT' }
  | { readonly code: 'NOT_REGULAR' | 'TOO_LARGE' | 'UNREADABLE'; readonly reason: string };

/**
 * Reads a settings file only if it is one: a regular file (through symlinks) of at most `maxBytes`. Opened
 * non-blocking, so a FIFO is refused at once instead of hanging the reader, and a link to /dev/zero is refused
 * before a byte is read; never more than `maxBytes` is read, even from a file that grows meanwhile.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Result<string, RegularFileError>> {
  return (await readRegularFileBytes(path, maxBytes)).map((bytes) => bytes.toString('utf8'));
}

/** The same checks, for a file read as bytes (a workflow PNG); memory grows with the file, not with the limit. */
export async function readRegularFileBytes(path: string, maxBytes: number): Promise<Result<Buffer, RegularFileError>> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return errnoCode(e) === 'ENOENT' ? err({ code: 'ABSENT' }) : err({ code: 'UNREADABLE', reason: errnoCode(e) });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return err({ code: 'NOT_REGULAR', reason: `it is ${kindOf(info)}, not a regular file` });
    if (info.size > maxBytes) return err({ code: 'TOO_LARGE', reason: `it is ${info.size} bytes, over the ${maxBytes}-byte limit` });
    let buffer = Buffer.alloc(info.size + 1);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, maxBytes + 1 - buffer.length))]);
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxBytes) return err({ code: 'TOO_LARGE', reason: `it grew over the ${maxBytes}-byte limit while being read` });
    }
    return ok(buffer.subarray(0, filled));
  } catch (e) {
    return err({ code: 'UNREADABLE', reason: errnoCode(e) });
  } finally {
    await handle.close();
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}
