import type { Result } from 'neverthrow';
import type { TransferError } from './errors.js';

/**
 * Large buffers reused across connections and attempts. Socket chunks are copied in and die young, which
 * costs far less garbage collection than holding every chunk until its batch is written, and touching fresh
 * memory is expensive on a VM.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  constructor(readonly bufferBytes: number) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  give(buffer: Buffer): void {
    this.#free.push(buffer);
  }
}

// A slow connection still writes (and so becomes durable) regularly instead of holding a buffer for long.
const MAX_BUFFER_AGE_MS = 250;

export type WriteAt = (buffer: Buffer, position: number) => Promise<Result<void, TransferError>>;

/**
 * Gathers one connection's body chunks into pool buffers and writes each full buffer at the next position.
 * Up to `maxInflight` writes are queued while the next buffer fills, so memory stays bounded and receiving
 * only waits for the disk when the disk is slower than the network for a while.
 */
export class Coalescer {
  #current: Buffer | undefined;
  #fill = 0;
  #since = 0;
  #position: number;
  /** Writes in the order issued; they also complete in that order (see PartFile.write). */
  readonly #inflight: Array<Promise<Result<void, TransferError>>> = [];

  constructor(
    private readonly pool: BufferPool,
    private readonly writeAt: WriteAt,
    position: number,
    private readonly maxInflight: number,
  ) {
    this.#position = position;
  }

  /** Position of the next byte pushed. */
  get end(): number {
    return this.#position + this.#fill;
  }

  async push(chunk: Buffer, now: number): Promise<TransferError | undefined> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#current === undefined) {
        this.#current = this.pool.take();
        this.#since = now;
      }
      const copied = chunk.copy(this.#current, this.#fill, offset);
      this.#fill += copied;
      offset += copied;
      if (this.#fill === this.#current.length) {
        const failed = await this.flush();
        if (failed !== undefined) return failed;
      }
    }
    return this.#fill > 0 && now - this.#since >= MAX_BUFFER_AGE_MS ? this.flush() : undefined;
  }

  /** Starts writing what the current buffer holds, once fewer than maxInflight writes are queued. */
  async flush(): Promise<TransferError | undefined> {
    const failed = await this.#settle(this.maxInflight - 1);
    if (failed !== undefined || this.#current === undefined) return failed;
    const buffer = this.#current;
    const length = this.#fill;
    this.#current = undefined;
    this.#fill = 0;
    if (length === 0) {
      this.pool.give(buffer);
      return undefined;
    }
    const position = this.#position;
    this.#position += length;
    this.#inflight.push(this.writeAt(buffer.subarray(0, length), position).finally(() => this.pool.give(buffer)));
    return undefined;
  }

  /** Writes everything pushed and waits for it. */
  async drain(): Promise<TransferError | undefined> {
    return (await this.flush()) ?? (await this.#settle(0));
  }

  /** Waits until at most `queued` writes remain in flight; the first failure among those finished. */
  async #settle(queued: number): Promise<TransferError | undefined> {
    let failure: TransferError | undefined;
    while (this.#inflight.length > queued) {
      const written = await this.#inflight.shift();
      if (written?.isErr()) failure ??= written.error;
    }
    return failure;
  }
}
