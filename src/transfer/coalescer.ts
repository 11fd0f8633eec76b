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
 * One write is in flight while the next buffer fills, so memory stays at two buffers per connection and
 * receiving never waits for a write unless the disk is slower than the network.
 */
export class Coalescer {
  #current: Buffer | undefined;
  #fill = 0;
  #since = 0;
  #position: number;
  #inflight: Promise<Result<void, TransferError>> | undefined;

  constructor(
    private readonly pool: BufferPool,
    private readonly writeAt: WriteAt,
    position: number,
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

  /** Waits for the write in flight, then starts writing what the current buffer holds. */
  async flush(): Promise<TransferError | undefined> {
    const failed = await this.#settle();
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
    this.#inflight = this.writeAt(buffer.subarray(0, length), position).finally(() => this.pool.give(buffer));
    return undefined;
  }

  /** Writes everything pushed and waits for it. */
  async drain(): Promise<TransferError | undefined> {
    return (await this.flush()) ?? (await this.#settle());
  }

  async #settle(): Promise<TransferError | undefined> {
    if (this.#inflight === undefined) return undefined;
    const written = await this.#inflight;
    this.#inflight = undefined;
    return written.isErr() ? written.error : undefined;
  }
}
