import type { Result } from 'neverthrow';

/**
 * Where the bytes are: asked at the start and whenever the storage host refuses the URL. Its failure (an API that
 * refused, say) is the caller's own error type, and leaves the transfer unchanged.
 */
export type ResolveUrl<E> = () => Promise<Result<{ url: string }, E>>;

/**
 * The storage URL shared by all connections. When it expires, every connection that saw it fail asks for a
 * refresh, and one resolution serves them all.
 */
export class UrlSource<E> {
  #current: Promise<Result<{ url: string }, E>> | undefined;
  #staleBecause: string | undefined;
  /** How many times the URL was resolved again after the storage host refused one. */
  refreshes = 0;

  constructor(
    private readonly resolveUrl: ResolveUrl<E>,
    private readonly onRefresh: (reason: string) => void = () => undefined,
  ) {}

  get(): Promise<Result<{ url: string }, E>> {
    if (this.#current === undefined) {
      if (this.#staleBecause !== undefined) {
        this.refreshes += 1;
        this.onRefresh(this.#staleBecause);
        this.#staleBecause = undefined;
      }
      this.#current = this.resolveUrl();
    }
    return this.#current;
  }

  /** The storage refused `staleUrl`: the next get() resolves again, unless another connection already did. */
  async invalidate(staleUrl: string, reason: string): Promise<void> {
    const current = await this.#current;
    if (current?.isOk() && current.value.url === staleUrl) {
      this.#current = undefined;
      this.#staleBecause = reason;
    }
  }
}
