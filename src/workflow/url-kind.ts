// Where a workflow's model URL points: a CivitAI model or download, a Hugging Face file, something else, or nothing.
// Pure.
import { parseModelRef, type ModelRef } from '../civitai/refs.js';
import { DEFAULT_HF_ENDPOINT, parseHfRef, type HfFileRef } from '../huggingface/refs.js';

export type UrlKind =
  | { readonly kind: 'civitai'; readonly ref: ModelRef }
  | { readonly kind: 'huggingface'; readonly ref: HfFileRef }
  | { readonly kind: 'other' }
  | { readonly kind: 'none' };

export interface UrlKindOptions {
  /** The configured CivitAI base URL (its host counts as CivitAI's). Default https://civitai.com. */
  readonly civitaiBaseUrl?: string;
  /** HF_ENDPOINT (its host counts as the hub's). Default https://huggingface.co. */
  readonly hfEndpoint?: string;
}

export function classifyModelUrl(url: string | undefined, options: UrlKindOptions = {}): UrlKind {
  if (url === undefined || url.trim() === '') return { kind: 'none' };
  const hf = parseHfRef(url, options.hfEndpoint ?? DEFAULT_HF_ENDPOINT);
  if (hf.isOk()) return { kind: 'huggingface', ref: hf.value };
  // Only URLs count: an AIR or a bare number in a `url` field is not what the schema means.
  if (!/^https?:\/\//i.test(url.trim())) return { kind: 'other' };
  const civitai = parseModelRef(url, { baseUrl: options.civitaiBaseUrl ?? 'https://civitai.com' });
  return civitai.isOk() ? { kind: 'civitai', ref: civitai.value } : { kind: 'other' };
}
