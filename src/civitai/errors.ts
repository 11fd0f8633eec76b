// Expected failures of the CivitAI API as plain objects. Every message says what happened and what to do, and
// passes through redact(): an API key must never reach logs, events or error output.
import type { z } from 'zod';
import { apiErrorBodySchema } from './schemas.js';
import { parseRetryAfter } from '../http/retry.js';
import { redact } from '../lib/redact.js';

// The shared redaction, re-exported for the modules that have always found it here.
export { redact };

interface ErrorBase {
  readonly message: string;
  /** The HTTP status, when the failure came from a response. */
  readonly status?: number;
}

export type CivitaiError =
  | (ErrorBase & { readonly code: 'UNAUTHORIZED' })
  | (ErrorBase & { readonly code: 'EARLY_ACCESS'; readonly deadline?: string })
  | (ErrorBase & { readonly code: 'FORBIDDEN' })
  | (ErrorBase & { readonly code: 'NOT_FOUND' })
  | (ErrorBase & { readonly code: 'GONE' })
  | (ErrorBase & { readonly code: 'RATE_LIMITED'; readonly retryAfterMs?: number })
  | (ErrorBase & { readonly code: 'BAD_REQUEST' })
  | (ErrorBase & { readonly code: 'SERVER'; readonly retryAfterMs?: number })
  | (ErrorBase & { readonly code: 'HTML_RESPONSE' })
  | (ErrorBase & { readonly code: 'INVALID_RESPONSE' })
  | (ErrorBase & { readonly code: 'NETWORK' });

export type CivitaiErrorCode = CivitaiError['code'];

/** What a request was about, for messages: e.g. "model 123", "model version 456". */
export interface RequestContext {
  readonly what: string;
  /** Whether an API key was sent: a 401 then means the key is bad rather than missing. */
  readonly keySent: boolean;
  /** Values to mask in every message (the API key). */
  readonly secrets: readonly string[];
}

export interface ResponseFacts {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly retryAfter: string | undefined;
  readonly bodyText: string;
}

const SET_KEY_HINT = 'set a key with `comfyui-dl config set-key`';
const SERVER_TEXT_LIMIT = 300;

export function isHtmlContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
}

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType);
}

/** By label or by look: error pages are not always labelled text/html. */
function isHtml(contentType: string | undefined, body: string): boolean {
  return isHtmlContentType(contentType) || /^\s*(<!doctype html|<html)/i.test(body);
}

/** Builds an error whose message is redacted; the single way errors are created here. */
export function civitaiError<E extends CivitaiError>(error: E, secrets: readonly string[] = []): E {
  return { ...error, message: redact(error.message, secrets) };
}

interface ServerSaid {
  readonly error?: string;
  readonly message?: string;
  readonly deadline?: string;
}

/** What the server said in an error body: JSON `{error, message, deadline}`, or plain text. */
function readServerBody(bodyText: string): ServerSaid {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    const text = bodyText.trim();
    return text.length > 0 ? { error: clip(text) } : {};
  }
  const body = apiErrorBodySchema.safeParse(json);
  if (!body.success) return {};
  const { error, message, deadline } = body.data;
  return {
    ...(error !== undefined ? { error: clip(typeof error === 'string' ? error : JSON.stringify(error)) } : {}),
    ...(message !== undefined ? { message: clip(message) } : {}),
    ...(deadline ? { deadline } : {}),
  };
}

function clip(text: string): string {
  return text.length > SERVER_TEXT_LIMIT ? `${text.slice(0, SERVER_TEXT_LIMIT)}…` : text;
}

function quoteServer(said: ServerSaid): string {
  const parts = [said.error, said.message].filter((part): part is string => part !== undefined && part !== '');
  return parts.length > 0 ? `: "${parts.join(' — ')}"` : '';
}

function htmlHint(body: string): string {
  if (/cloudflare|cf-chl|just a moment|attention required/i.test(body)) {
    return 'it looks like a Cloudflare challenge; wait a while and try again';
  }
  if (/log ?in|sign ?in/i.test(body)) return `it looks like a login page; ${SET_KEY_HINT}`;
  return 'check the CivitAI base URL (`--civitai-url` / CIVITAI_BASE_URL)';
}

/**
 * Classifies a response that is not the success the caller expected. Status decides first, so a 429 or 5xx
 * is retryable whatever its body; other HTML bodies are never read as JSON.
 */
export function errorFromResponse(facts: ResponseFacts, ctx: RequestContext, nowMs: number): CivitaiError {
  const { status } = facts;
  const make = <E extends CivitaiError>(error: E): E => civitaiError(error, ctx.secrets);
  const html = isHtml(facts.contentType, facts.bodyText);
  const said: ServerSaid = html ? {} : readServerBody(facts.bodyText);
  const server = quoteServer(said);

  const retryAfterMs = parseRetryAfter(facts.retryAfter, nowMs);
  if (status === 429) {
    const when = retryAfterMs !== undefined ? `retry in ${Math.ceil(retryAfterMs / 1000)} s` : 'try again later';
    return make({
      code: 'RATE_LIMITED',
      status,
      message: `CivitAI is rate-limiting requests (${ctx.what}, status 429${server}); ${when}.`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status >= 500) {
    const page = html ? ' (an HTML error page)' : server;
    return make({
      code: 'SERVER',
      status,
      message: `CivitAI failed on ${ctx.what} with status ${status}${page}; this is usually temporary, try again later.`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (html) {
    return make({
      code: 'HTML_RESPONSE',
      status,
      message: `CivitAI answered ${ctx.what} with an HTML page (status ${status}) instead of JSON; ${htmlHint(facts.bodyText)}.`,
    });
  }
  switch (status) {
    case 401:
      if (/disabled downloads/i.test(said.message ?? '')) {
        return make({
          code: 'FORBIDDEN',
          status,
          message: `The creator has disabled downloads of ${ctx.what}${server}; it can only be used on CivitAI.`,
        });
      }
      return make({
        code: 'UNAUTHORIZED',
        status,
        message: ctx.keySent
          ? `CivitAI did not accept the API key for ${ctx.what}${server}; the key may be wrong or revoked: ${SET_KEY_HINT}.`
          : `CivitAI requires a logged-in account for ${ctx.what}${server}; ${SET_KEY_HINT}.`,
      });
    case 403:
      if (said.error === 'Early Access') {
        const until = said.deadline !== undefined ? ` until ${said.deadline}` : '';
        return make({
          code: 'EARLY_ACCESS',
          status,
          message: `${capitalise(ctx.what)} is in Early Access on CivitAI${until}; buy early access on the site, or wait${until ? '' : ' until it is public'} and try again.`,
          ...(said.deadline !== undefined ? { deadline: said.deadline } : {}),
        });
      }
      return make({
        code: 'FORBIDDEN',
        status,
        message: `CivitAI refused access to ${ctx.what}${server}; check that your account may download it.`,
      });
    case 451:
      return make({
        code: 'FORBIDDEN',
        status,
        message: `CivitAI refused ${ctx.what}${server}: its API is not available in this region.`,
      });
    case 404:
      return make({
        code: 'NOT_FOUND',
        status,
        message: `CivitAI has no ${ctx.what}${server}; check the id (it may also be unpublished or hidden).`,
      });
    case 410:
      return make({
        code: 'GONE',
        status,
        message: `${capitalise(ctx.what)} is archived on CivitAI and can no longer be downloaded${server}.`,
      });
    default:
      if (status >= 400) {
        return make({
          code: 'BAD_REQUEST',
          status,
          message: `CivitAI rejected the request for ${ctx.what} with status ${status}${server}; check the parameters.`,
        });
      }
      return make({
        code: 'INVALID_RESPONSE',
        status,
        message: `CivitAI answered ${ctx.what} with an unexpected status ${status}; try again later.`,
      });
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A successful status whose body is not the JSON we expect. */
export function unexpectedBody(
  facts: Pick<ResponseFacts, 'status' | 'contentType' | 'bodyText'>,
  ctx: RequestContext,
): CivitaiError {
  if (isHtml(facts.contentType, facts.bodyText)) {
    return civitaiError({
      code: 'HTML_RESPONSE',
      status: facts.status,
      message: `CivitAI answered ${ctx.what} with an HTML page instead of JSON; ${htmlHint(facts.bodyText)}.`,
    }, ctx.secrets);
  }
  return civitaiError({
    code: 'INVALID_RESPONSE',
    status: facts.status,
    message: `CivitAI answered ${ctx.what} with ${facts.contentType ?? 'no content type'} instead of JSON; try again later or check the CivitAI base URL.`,
  }, ctx.secrets);
}

/** A JSON body that failed its schema: names the first offending fields so the change can be found. */
export function invalidResponse(error: z.ZodError, ctx: RequestContext, status?: number): CivitaiError {
  const fields = error.issues.slice(0, 3).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '';
  return civitaiError({
    code: 'INVALID_RESPONSE',
    ...(status !== undefined ? { status } : {}),
    message: `CivitAI's answer for ${ctx.what} has an unexpected shape: ${fields.join('; ')}${more}. The API may have changed; please report it.`,
  }, ctx.secrets);
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** A failure to talk to the host at all (refused, reset, timed out, DNS). */
export function networkError(cause: unknown, ctx: RequestContext): CivitaiError {
  const detail = cause instanceof Error ? [errorCode(cause), cause.message].filter(Boolean).join(' ') : String(cause);
  return civitaiError({
    code: 'NETWORK',
    message: `Could not reach CivitAI for ${ctx.what} (${detail}); check the network connection and the CivitAI base URL.`,
  }, ctx.secrets);
}

function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
