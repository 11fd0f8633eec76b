import type { SendRequest } from './pages.js';

/** What the content scripts and the popup ask the background worker, which alone talks to the gateway. */
export type Request =
  | { readonly kind: 'send'; readonly request: SendRequest }
  | { readonly kind: 'pair'; readonly code: string }
  | { readonly kind: 'status' }
  | { readonly kind: 'forget' };

/** Every answer: whether it worked, and a sentence to show. */
export interface Reply {
  readonly ok: boolean;
  readonly text: string;
}
