import type { Segment } from './segments.js';

/** Bytes [offset, offset + length) of a segment are on disk and fdatasync'ed. */
export interface DurableChunk {
  segment: number;
  offset: number;
  length: number;
}

export interface DurableThresholds {
  bytes: number;
  ms: number;
}

interface Entry {
  index: number;
  end: number;
  written: number;
  durable: number;
  reportedAt: number;
}

/**
 * Per segment: how far the writes have completed and how far is reported durable. Reports are contiguous
 * and only move forward, and a segment is reported at most every `bytes` or `ms`, or when it completes,
 * so a large file makes a bounded number of records.
 */
export class DurableLedger {
  readonly #entries = new Map<number, Entry>();

  constructor(
    segments: readonly Segment[],
    private readonly thresholds: DurableThresholds,
    now: number,
  ) {
    for (const s of segments) {
      const done = s.start + s.done;
      this.#entries.set(s.index, { index: s.index, end: s.end, written: done, durable: done, reportedAt: now });
    }
  }

  #entry(index: number): Entry {
    const entry = this.#entries.get(index);
    if (entry === undefined) throw new Error(`unknown segment ${index}`);
    return entry;
  }

  /** A write of this segment completed up to `end`; writes within a segment complete in order. */
  noteWritten(index: number, end: number): void {
    const entry = this.#entry(index);
    if (end < entry.written || end > entry.end) throw new Error(`segment ${index}: write end ${end} out of order`);
    entry.written = end;
  }

  /**
   * Segment `index` now ends at `at` and a new segment `newIndex` holds [at, its old end). No write of the segment
   * may have reached past `at`: the caller cuts beyond what its connection received.
   */
  split(index: number, at: number, newIndex: number, now: number): void {
    const entry = this.#entry(index);
    if (this.#entries.has(newIndex)) throw new Error(`segment ${newIndex} exists already`);
    if (at < entry.written || at >= entry.end) throw new Error(`segment ${index}: cannot split at ${at}`);
    this.#entries.set(newIndex, { index: newIndex, end: entry.end, written: at, durable: at, reportedAt: now });
    entry.end = at;
  }

  written(index: number): number {
    return this.#entry(index).written;
  }

  /** Bytes of the file written so far, across segments (including those done before this run). */
  writtenBytes(segments: readonly Segment[]): number {
    return segments.reduce((sum, s) => sum + (this.#entry(s.index).written - s.start), 0);
  }

  /** Whether reporting the segment up to `upTo` is due. */
  #isDue(entry: Entry, upTo: number, now: number): boolean {
    const pending = upTo - entry.durable;
    if (pending <= 0) return false;
    return pending >= this.thresholds.bytes || now - entry.reportedAt >= this.thresholds.ms || upTo === entry.end;
  }

  anyDue(now: number): boolean {
    for (const entry of this.#entries.values()) if (this.#isDue(entry, entry.written, now)) return true;
    return false;
  }

  /** Write ends to take before an fdatasync: only those writes are covered by it. */
  snapshot(): Map<number, number> {
    return new Map([...this.#entries.values()].map((e) => [e.index, e.written]));
  }

  /**
   * After an fdatasync that started at `snapshot`: the chunks now to report (segments that are due, or all
   * with `everything`), marked reported.
   */
  commit(snapshot: ReadonlyMap<number, number>, now: number, everything: boolean): DurableChunk[] {
    const chunks: DurableChunk[] = [];
    for (const entry of this.#entries.values()) {
      const synced = snapshot.get(entry.index) ?? entry.durable;
      if (synced <= entry.durable) continue;
      if (!everything && !this.#isDue(entry, synced, now)) continue;
      chunks.push({ segment: entry.index, offset: entry.durable, length: synced - entry.durable });
      entry.durable = synced;
      entry.reportedAt = now;
    }
    return chunks;
  }
}
