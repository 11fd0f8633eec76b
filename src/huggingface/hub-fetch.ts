// The one way this program talks to the Hub: a fetch that adds the token only for HF_ENDPOINT's origin, never
// follows a redirect to another origin (the caller gets the 3xx and its Location), follows the hub's own
// same-origin redirects (a renamed repo) a few times, and remembers the facts of a failed answer so the caller
// can classify it. It is also handed to @huggingface/hub as its `fetch`, so the library never sees the token.
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import type { HfResponseFacts } from './errors.js';

export interface HubFetchOptions {
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly userAgent: string;
  readonly dispatcher?: Dispatcher;
  /** Until the answer's headers, per request. */
  readonly timeoutMs: number;
}

export interface HubExchange {
  readonly fetch: typeof fetch;
  /** The facts of the last answer that was not a success or a redirect, if any. */
  failure(): HfResponseFacts | undefined;
  /** Whether the token went out with any request of this exchange. */
  readonly tokenSent: () => boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_SAME_ORIGIN_REDIRECTS = 3;
/** Error bodies are read this far at most. */
const ERROR_BODY_BYTES = 16 * 1024;

function urlOf(input: Parameters<typeof fetch>[0]): URL {
  if (typeof input === 'string') return new URL(input);
  if (input instanceof URL) return input;
  return new URL(input.url);
}

async function bodyError(response: Response): Promise<string | undefined> {
  const text = await readCapped(response.clone(), ERROR_BODY_BYTES).catch(() => undefined);
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null && 'error' in json) {
      const { error } = json as { error: unknown };
      return typeof error === 'string' ? error : JSON.stringify(error);
    }
  } catch {
    // Not JSON: an HTML page is not worth quoting; plain text is.
  }
  return /^\s*</.test(text) ? undefined : text;
}

async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= limit) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

export function hubExchange(options: HubFetchOptions): HubExchange {
  const hubOrigin = new URL(options.endpoint).origin;
  let failure: HfResponseFacts | undefined;
  let tokenSent = false;

  const send = async (url: URL, init: RequestInit | undefined, hops: number): Promise<Response> => {
    const headers = new Headers(init?.headers);
    // Whatever a caller or library put there, credentials are ours to add, and only for the hub's origin.
    headers.delete('authorization');
    headers.set('user-agent', options.userAgent);
    if (options.token !== undefined && url.origin === hubOrigin) {
      headers.set('authorization', `Bearer ${options.token}`);
      tokenSent = true;
    }
    const response = (await undiciFetch(url, {
      ...(init as object),
      headers: Object.fromEntries(headers.entries()),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(options.dispatcher !== undefined ? { dispatcher: options.dispatcher } : {}),
    } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
    const location = response.headers.get('location');
    if (REDIRECTS.has(response.status) && location !== null && hops < MAX_SAME_ORIGIN_REDIRECTS) {
      const target = new URL(location, url);
      if (target.origin === hubOrigin) {
        await response.body?.cancel().catch(() => undefined);
        return send(target, init, hops + 1);
      }
    }
    if (response.status >= 400) {
      failure = {
        status: response.status,
        errorCode: response.headers.get('x-error-code') ?? undefined,
        errorMessage: response.headers.get('x-error-message') ?? undefined,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        bodyError: init?.method === 'HEAD' ? undefined : await bodyError(response),
      };
    }
    return response;
  };

  return {
    fetch: ((input: Parameters<typeof fetch>[0], init?: RequestInit) => send(urlOf(input), init, 0)) as typeof fetch,
    failure: () => failure,
    tokenSent: () => tokenSent,
  };
}
