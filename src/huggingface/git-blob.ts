// The git blob id of a file: SHA-1 of `blob <size>\0` followed by the content. The Hub names small (non-LFS) files
// by it, in `ETag` and in the `oid` of its tree, so it is the only hash it gives for them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Hex git blob id of content given as one buffer or as consecutive chunks adding up to `size` bytes. */
export function gitBlobId(content: Uint8Array | Iterable<Uint8Array>, size?: number): string {
  const chunks = content instanceof Uint8Array ? [content] : content;
  const total = size ?? (content instanceof Uint8Array ? content.length : undefined);
  if (total === undefined) throw new TypeError('gitBlobId needs the size when the content comes in chunks');
  const hash = createHash('sha1').update(`blob ${total}\0`);
  let seen = 0;
  for (const chunk of chunks) {
    hash.update(chunk);
    seen += chunk.length;
  }
  if (seen !== total) throw new RangeError(`gitBlobId: ${seen} bytes of content, but the size says ${total}`);
  return hash.digest('hex');
}

/** Incremental form, for bytes that arrive over time (a download being verified). */
export class GitBlobHasher {
  private readonly hash;
  private seen = 0;

  constructor(private readonly size: number) {
    this.hash = createHash('sha1').update(`blob ${size}\0`);
  }

  update(chunk: Uint8Array): void {
    this.seen += chunk.length;
    this.hash.update(chunk);
  }

  /** The id, or undefined when the bytes seen do not add up to the announced size (the id would be wrong). */
  digest(): string | undefined {
    const id = this.hash.digest('hex');
    return this.seen === this.size ? id : undefined;
  }
}

/** Whether bytes are the file a git blob id names: right size and right id. */
export function matchesGitBlobId(content: Uint8Array, expectedId: string): boolean {
  return gitBlobId(content) === expectedId.trim().toLowerCase();
}

/** The git blob id of a file on disk, read in order (the files the hub keeps in git are small). */
export async function gitBlobIdOfFile(path: string): Promise<string> {
  const hasher = new GitBlobHasher((await stat(path)).size);
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  const id = hasher.digest();
  if (id === undefined) throw new Error(`${path} changed size while its git blob id was computed`);
  return id;
}
