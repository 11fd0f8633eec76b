// Random access to the first bytes of a model file. Header readers ask for exact ranges through this
// interface, so a test can count every byte they read.
import { open } from 'node:fs/promises';

export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Up to `length` bytes from `position`; shorter only at the end of the source. */
  read(position: number, length: number): Promise<Buffer>;
}

export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: (position, length) => Promise.resolve(bytes.subarray(position, Math.min(bytes.length, position + length))),
  };
}

/** Opens `path` read-only for the duration of `use`. */
export async function withFileSource<T>(path: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const source: ByteSource = {
      size,
      async read(position, length) {
        const wanted = Math.max(0, Math.min(length, size - position));
        const buffer = Buffer.alloc(wanted);
        let filled = 0;
        while (filled < wanted) {
          const { bytesRead } = await handle.read(buffer, filled, wanted - filled, position + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      },
    };
    return await use(source);
  } finally {
    await handle.close();
  }
}
