import type { DurableChunk, DurableLedger } from './durable-ledger.js';
import type { TransferError } from './errors.js';
import type { PartFile } from './part-file.js';

/**
 * Runs fdatasync on the part file when a segment is due for a report, then reports the chunks that the
 * sync covered: a report never runs ahead of the disk. One sync covers every segment, so syncs are spaced by
 * at least `minIntervalMs` whatever the number of segments (each forces the written pages out while the
 * writes go on, which is far from free on a small machine). One runs at a time; requests during it fold
 * into one more.
 */
export class DurableSync {
  #running: Promise<void> | undefined;
  #again = false;
  #bug: unknown;
  #lastStart = 0;
  #closed = false;

  constructor(
    private readonly part: PartFile,
    private readonly ledger: DurableLedger,
    private readonly minIntervalMs: number,
    private readonly onDurable: (chunk: DurableChunk) => void,
    private readonly onFailure: (error: TransferError) => void,
  ) {}

  /** Starts a sync if some segment is due and the last one is not too recent; cheap to call after every write. */
  poke(): void {
    const now = Date.now();
    if (this.#closed || now - this.#lastStart < this.minIntervalMs || !this.ledger.anyDue(now)) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop(false)
      .then((error) => {
        if (error !== undefined) this.onFailure(error);
      })
      .catch((bug: unknown) => {
        this.#bug ??= bug;
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  async #loop(everything: boolean): Promise<TransferError | undefined> {
    do {
      this.#again = false;
      this.#lastStart = Date.now();
      const snapshot = this.ledger.snapshot();
      const synced = await this.part.datasync();
      if (synced.isErr()) return synced.error;
      for (const chunk of this.ledger.commit(snapshot, Date.now(), everything)) this.onDurable(chunk);
    } while (this.#again);
    return undefined;
  }

  /** Waits for a running sync; a callback that threw is rethrown here. */
  async #idle(): Promise<void> {
    await this.#running;
    if (this.#bug !== undefined) throw this.#bug;
  }

  /** Syncs and reports everything written so far, due or not (end of a transfer, pause); no report after. */
  async flushAll(): Promise<TransferError | undefined> {
    this.#closed = true;
    await this.#idle();
    return this.#loop(true);
  }

  /** Waits for a running sync; nothing is reported after (the bytes are about to be thrown away). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle();
  }
}
