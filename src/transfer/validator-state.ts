import type { Validator } from './options.js';
import { compareValidator } from './response.js';

/** Holds the last validator and tells the caller when it changes. */
export class ValidatorState {
  constructor(
    public current: Validator | undefined,
    private readonly notify: ((validator: Validator) => void) | undefined,
  ) {}

  /** Takes what a response revealed: a changed file replaces the validator, otherwise it fills in what was missing. */
  adopt(seen: Validator): void {
    const comparison = compareValidator(this.current, seen);
    if (comparison === 'same') return;
    const next =
      comparison === 'changed'
        ? { etag: seen.etag, lastModified: seen.lastModified }
        : { etag: seen.etag ?? this.current?.etag, lastModified: seen.lastModified ?? this.current?.lastModified };
    this.current = next;
    this.notify?.(next);
  }
}
