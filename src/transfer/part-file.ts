import { constants } from 'node:fs';
import { open, statfs, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { diskFull, diskIo, type TransferError } from './errors.js';

async function freeBytes(folder: string): Promise<number> {
  const stats = await statfs(folder);
  return stats.bavail * stats.bsize;
}

/** DISK_FULL with the numbers when `neededBytes` more do not fit in the folder's filesystem. */
export async function checkFreeSpace(folder: string, neededBytes: number): Promise<Result<void, TransferError>> {
  try {
    const free = await freeBytes(folder);
    return free < neededBytes ? err(diskFull(neededBytes, free, folder)) : ok(undefined);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return err(diskIo(e.code ?? 'EIO', e.message));
  }
}

/**
 * The `.part` file, written at positions by several connections at once. It is sized up front with
 * ftruncate: Node has no fallocate, so blocks are not reserved and a full disk can still show up during
 * writes (the free-space check before the start catches the common case).
 */
export class PartFile {
  /** The last write queued; #writeNow never rejects, so the chain never breaks. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    /** Bytes still to be written: what a full disk reports as needed. */
    private readonly stillNeeded: () => number,
    /** Size found on disk before it was sized to totalBytes (0 when it was created). */
    readonly sizeFound: number,
    readonly totalBytes: number,
  ) {}

  static async open(path: string, totalBytes: number, stillNeeded: () => number = () => totalBytes): Promise<Result<PartFile, TransferError>> {
    let handle: FileHandle | undefined;
    try {
      // Neither O_TRUNC (resume needs the bytes) nor O_APPEND (Linux ignores positions with it).
      handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      const { size } = await handle.stat();
      if (size !== totalBytes) await handle.truncate(totalBytes);
      return ok(new PartFile(handle, path, stillNeeded, size, totalBytes));
    } catch (error) {
      await handle?.close().catch(() => undefined);
      return err(await describeFsError(error, path, stillNeeded()));
    }
  }

  /**
   * Writes all of `buffer` at `position`. Writes run one at a time, in call order: concurrent writes of new
   * pages to one file contend in the kernel (each took 4–8× longer with four at once on a 2-core VM, for more
   * CPU in total), while the connections keep receiving into their next buffer meanwhile.
   */
  write(buffer: Buffer, position: number): Promise<Result<void, TransferError>> {
    const written = this.#queue.then(() => this.#writeNow(buffer, position));
    this.#queue = written;
    return written;
  }

  async #writeNow(buffer: Buffer, position: number): Promise<Result<void, TransferError>> {
    try {
      let done = 0;
      while (done < buffer.length) {
        const { bytesWritten } = await this.handle.write(buffer, done, buffer.length - done, position + done);
        done += bytesWritten;
      }
      return ok(undefined);
    } catch (error) {
      return err(await describeFsError(error, this.path, this.stillNeeded()));
    }
  }

  async datasync(): Promise<Result<void, TransferError>> {
    try {
      await this.handle.datasync();
      return ok(undefined);
    } catch (error) {
      return err(await describeFsError(error, this.path, this.stillNeeded()));
    }
  }

  /** Empties the file and sizes it again, so no byte of an abandoned attempt survives a restart from zero. */
  async wipe(): Promise<Result<void, TransferError>> {
    try {
      await this.handle.truncate(0);
      await this.handle.truncate(this.totalBytes);
      return ok(undefined);
    } catch (error) {
      return err(await describeFsError(error, this.path, this.stillNeeded()));
    }
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function describeFsError(error: unknown, path: string, neededBytes: number): Promise<TransferError> {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    const folder = dirname(path);
    const free = await freeBytes(folder).catch(() => 0);
    return diskFull(neededBytes, free, folder);
  }
  return diskIo(e.code ?? 'EIO', e.message);
}
