/**
 * Connections all downloads may open together beyond each one's first: a download always gets one, so a full
 * allowance slows downloads down but never stops one.
 */
export class ConnectionBudget {
  #free: number;

  constructor(readonly total: number) {
    this.#free = total;
  }

  take(): boolean {
    if (this.#free <= 0) return false;
    this.#free -= 1;
    return true;
  }

  give(): void {
    this.#free = Math.min(this.total, this.#free + 1);
  }
}
