import type { Result } from 'neverthrow';
import type { TransferError } from './errors.js';

export type ResolveUrl = () => Promise<Result<{ url: string }, TransferError>>;

/**
 * The storage URL shared by all connections. When it expires, every connection that saw it fail asks for a
 * refresh, and one resolution serves them all.
 */
export class UrlSource {
  #current: Promise<Result<{ url: string }, TransferError>> | undefined;

  constructor(private readonly resolveUrl: ResolveUrl) {}

  get(): Promise<Result<{ url: string }, TransferError>> {
    this.#current ??= this.resolveUrl();
    return this.#current;
  }

  /** The storage refused `staleUrl`: the next get() resolves again, unless another connection already did. */
  async invalidate(staleUrl: string): Promise<void> {
    const current = await this.#current;
    if (current?.isOk() && current.value.url === staleUrl) this.#current = undefined;
  }
}
