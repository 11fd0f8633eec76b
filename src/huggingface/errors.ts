// Expected failures of the Hugging Face Hub as plain values. The hub says what went wrong in `X-Error-Code`
// (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound) and `X-Error-Message`, repeated as `{"error": …}` in
// the body; 401 stands for both "private" and "missing" when no token was sent. Every message says what to do and
// passes through redact(), with the token as a secret: it never reaches a log, an event or the terminal.
import { redact } from '../civitai/errors.js';
import { parseRetryAfter } from '../http/retry.js';
import { repoPageUrl } from './refs.js';

interface ErrorBase {
  readonly message: string;
  readonly status?: number;
}

export type HfError =
  /** A gated repo whose conditions the token's user has not been granted (or no token was sent). */
  | (ErrorBase & { readonly code: 'GATED'; readonly repo: string; readonly pageUrl: string })
  /** The token itself was refused. */
  | (ErrorBase & { readonly code: 'UNAUTHORIZED' })
  /** No such repo, or a private one the caller cannot see (the hub does not tell them apart). */
  | (ErrorBase & { readonly code: 'REPO_NOT_FOUND'; readonly repo: string })
  | (ErrorBase & { readonly code: 'REVISION_NOT_FOUND'; readonly repo: string; readonly revision: string })
  | (ErrorBase & { readonly code: 'FILE_NOT_FOUND'; readonly repo: string; readonly path: string })
  | (ErrorBase & { readonly code: 'FORBIDDEN' })
  | (ErrorBase & { readonly code: 'RATE_LIMITED'; readonly retryAfterMs?: number })
  | (ErrorBase & { readonly code: 'SERVER'; readonly retryAfterMs?: number })
  | (ErrorBase & { readonly code: 'BAD_REQUEST' })
  | (ErrorBase & { readonly code: 'INVALID_RESPONSE' })
  | (ErrorBase & { readonly code: 'NETWORK' });

export type HfErrorCode = HfError['code'];

/** What a request was about, for messages. */
export interface HfRequestContext {
  readonly repo: string;
  readonly revision?: string;
  readonly path?: string;
  /** Whether a token was sent with it. */
  readonly tokenSent: boolean;
  readonly endpoint: string;
  /** Masked wherever they appear (the token). */
  readonly secrets: readonly string[];
}

/** The parts of a failed answer the classification reads. */
export interface HfResponseFacts {
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly retryAfter: string | undefined;
  /** The body's `error` (or text), when it had one. */
  readonly bodyError: string | undefined;
}

const TOKEN_HINT = 'set HF_TOKEN (or `comfyui-dl config set-key --huggingface`) to a token of an account that has access';
const SERVER_TEXT_LIMIT = 300;

export function hfError<E extends HfError>(error: E, secrets: readonly string[]): E {
  return { ...error, message: redact(error.message, secrets) };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SERVER_TEXT_LIMIT ? `${flat.slice(0, SERVER_TEXT_LIMIT)}…` : flat;
}

function said(facts: HfResponseFacts): string {
  const text = facts.errorMessage ?? facts.bodyError;
  return text === undefined || text.trim() === '' ? '' : ` ("${clip(text)}")`;
}

function describe(ctx: HfRequestContext): string {
  if (ctx.path !== undefined) return `${ctx.path} in ${ctx.repo}${ctx.revision !== undefined ? ` at ${ctx.revision}` : ''}`;
  return ctx.repo;
}

export function errorFromHubResponse(facts: HfResponseFacts, ctx: HfRequestContext, nowMs: number): HfError {
  const make = <E extends HfError>(error: E): E => hfError(error, ctx.secrets);
  const { status } = facts;
  const server = said(facts);
  const retryAfterMs = parseRetryAfter(facts.retryAfter, nowMs);
  if (status === 429) {
    const when = retryAfterMs !== undefined ? `retry in ${Math.ceil(retryAfterMs / 1000)} s` : 'try again later';
    const token = ctx.tokenSent ? '' : '; a token (HF_TOKEN) raises the limit';
    return make({ code: 'RATE_LIMITED', status, message: `The Hugging Face Hub is rate-limiting requests (${describe(ctx)}, status 429); ${when}${token}.`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status >= 500) {
    return make({ code: 'SERVER', status, message: `The Hugging Face Hub failed on ${describe(ctx)} with status ${status}${server}; this is usually temporary, try again later.`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  const pageUrl = repoPageUrl(ctx.repo, ctx.endpoint);
  if (facts.errorCode === 'GatedRepo') {
    const step = ctx.tokenSent
      ? `the token's account has not been granted access yet: accept the conditions at ${pageUrl} (some repos also wait for the authors' approval)`
      : `accept its conditions at ${pageUrl} while logged in, then ${TOKEN_HINT}`;
    return make({ code: 'GATED', status, repo: ctx.repo, pageUrl, message: `${ctx.repo} is a gated repository on Hugging Face; ${step}.` });
  }
  if (facts.errorCode === 'RevisionNotFound') {
    const revision = ctx.revision ?? '?';
    return make({ code: 'REVISION_NOT_FOUND', status, repo: ctx.repo, revision, message: `${ctx.repo} has no branch, tag or commit "${revision}"; check the revision in the reference (the default is main).` });
  }
  if (facts.errorCode === 'EntryNotFound') {
    const path = ctx.path ?? '?';
    return make({ code: 'FILE_NOT_FOUND', status, repo: ctx.repo, path, message: `${ctx.repo} has no file ${path}${ctx.revision !== undefined ? ` at ${ctx.revision}` : ''}; check the path (the file list is at ${pageUrl}/tree/main).` });
  }
  const badToken = status === 401 && /invalid credentials|invalid token|token is (expired|revoked)/i.test(facts.errorMessage ?? facts.bodyError ?? '');
  if (badToken) {
    return make({ code: 'UNAUTHORIZED', status, message: `The Hugging Face Hub did not accept the token${server}; it may be mistyped, expired or revoked: set a valid HF_TOKEN (or \`comfyui-dl config set-key --huggingface\`).` });
  }
  if (facts.errorCode === 'RepoNotFound' || status === 401 || status === 404) {
    const hint = ctx.tokenSent
      ? `check the name; if it is private, the token's account cannot read it`
      : `check the name; if it is private, ${TOKEN_HINT}`;
    return make({ code: 'REPO_NOT_FOUND', status, repo: ctx.repo, message: `Hugging Face has no repository ${ctx.repo} you can see (${pageUrl}, status ${status}); ${hint}.` });
  }
  if (status === 403) {
    return make({ code: 'FORBIDDEN', status, message: `The Hugging Face Hub refused access to ${describe(ctx)}${server}; check that the token may read this repository (fine-grained tokens need read access to it).` });
  }
  if (status >= 400) {
    return make({ code: 'BAD_REQUEST', status, message: `The Hugging Face Hub rejected the request for ${describe(ctx)} with status ${status}${server}.` });
  }
  return make({ code: 'INVALID_RESPONSE', status, message: `The Hugging Face Hub answered ${describe(ctx)} with an unexpected status ${status}; check HF_ENDPOINT.` });
}

export function invalidHubResponse(what: string, ctx: HfRequestContext, status?: number): HfError {
  return hfError({
    code: 'INVALID_RESPONSE',
    ...(status !== undefined ? { status } : {}),
    message: `The Hugging Face Hub's answer for ${describe(ctx)} ${what}; check HF_ENDPOINT, or report it if the hub changed.`,
  }, ctx.secrets);
}

export function hubNetworkError(cause: unknown, ctx: HfRequestContext): HfError {
  const code = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : undefined;
  const detail = cause instanceof Error ? [typeof code === 'string' ? code : undefined, cause.message, inner].filter(Boolean).join(' ') : String(cause);
  return hfError({ code: 'NETWORK', message: `Could not reach the Hugging Face Hub for ${describe(ctx)} (${detail}); check the network connection and HF_ENDPOINT.` }, ctx.secrets);
}
