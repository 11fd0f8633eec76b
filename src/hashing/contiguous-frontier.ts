/**
 * Tracks byte ranges written out of order and the end of the prefix [0, frontier) that is fully written.
 * Each connection writes its segment front to back, so the pending list stays about as long as the
 * number of segments.
 */
export class ContiguousFrontier {
  #frontier = 0;
  /** Disjoint, sorted ranges strictly beyond the frontier. */
  #pending: Array<[start: number, end: number]> = [];

  get value(): number {
    return this.#frontier;
  }

  /** Records [start, end) as written; returns the new frontier. */
  add(start: number, end: number): number {
    if (end <= start) return this.#frontier;
    if (start <= this.#frontier) {
      this.#frontier = Math.max(this.#frontier, end);
    } else {
      this.#insert(start, end);
    }
    this.#absorb();
    return this.#frontier;
  }

  reset(): void {
    this.#frontier = 0;
    this.#pending = [];
  }

  #insert(start: number, end: number): void {
    const merged: Array<[number, number]> = [];
    let placed = false;
    let current: [number, number] = [start, end];
    for (const range of this.#pending) {
      if (range[1] < current[0]) {
        merged.push(range);
      } else if (current[1] < range[0]) {
        if (!placed) merged.push(current);
        placed = true;
        merged.push(range);
      } else {
        current = [Math.min(range[0], current[0]), Math.max(range[1], current[1])];
      }
    }
    if (!placed) merged.push(current);
    this.#pending = merged;
  }

  #absorb(): void {
    while (this.#pending.length > 0) {
      const first = this.#pending[0];
      if (first === undefined || first[0] > this.#frontier) return;
      this.#frontier = Math.max(this.#frontier, first[1]);
      this.#pending.shift();
    }
  }
}
