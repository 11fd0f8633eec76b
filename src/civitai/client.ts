// The CivitAI REST client: metadata lookups and resolution of the download endpoint to a presigned storage URL.
// The key is sent only to the API origin, and the client never follows redirects itself, so it cannot leak the
// key to the storage host (see transport.ts). Every failure is a CivitaiError value; retries follow src/http/retry.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { err, ok, ResultAsync, okAsync, type Result } from 'neverthrow';
import type { z } from 'zod';
import { USER_AGENT } from '../config/project-root.js';
import {
  civitaiError,
  isHtmlContentType,
  unexpectedBody,
  type CivitaiError,
  type RequestContext,
} from './errors.js';
import { DEFAULT_RETRY_POLICY, retrying, type RetryPolicy } from '../http/retry.js';
import {
  civitaiIdSchema,
  modelSchema,
  modelSearchPageSchema,
  modelVersionListSchema,
  modelVersionSchema,
  type Model,
  type ModelVersion,
} from './schemas.js';
import { fileNameFromSignedUrl } from './content-disposition.js';
import { createTransport, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS, discard, ERROR_BODY_BYTES, header } from './transport.js';

export interface CivitaiClientOptions {
  /** Where the API lives, e.g. https://civitai.com (or a simulator on 127.0.0.1). */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** Must not look like a browser: CivitAI answers browser-like agents with redirects to its login page. */
  readonly userAgent?: string;
  readonly dispatcher?: Dispatcher;
  readonly retry?: Partial<RetryPolicy>;
  /** Injected for tests; defaults to Math.random. */
  readonly random?: () => number;
  /** Injected for tests; defaults to Date.now (used to read Retry-After dates). */
  readonly now?: () => number;
  /** Headers and body inactivity timeout per request. */
  readonly timeoutMs?: number;
  /** Largest JSON body accepted. */
  readonly maxBodyBytes?: number;
}

export interface SearchModelsQuery {
  readonly query?: string;
  readonly types?: readonly string[];
  readonly baseModels?: readonly string[];
  readonly sort?: string;
  /** CivitAI's default (false) hides every model that is not rated PG. */
  readonly nsfw?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface SearchModelsResult {
  readonly items: Model[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

/** The download endpoint's file choice; without any, CivitAI serves the version's primary file. */
export interface DownloadSelection {
  readonly fileId?: number;
  readonly type?: string;
  readonly format?: string;
  readonly size?: string;
  readonly fp?: string;
  readonly quantType?: string;
}

export interface ResolvedDownload {
  /** The presigned storage URL: self-authorising and short-lived; fetch it without any Authorization header. */
  readonly url: string;
  /** The file name the storage host will announce, when the URL carries it and it is a safe bare name. */
  readonly fileName?: string;
}

export interface CivitaiClient {
  getModel(id: number): ResultAsync<Model, CivitaiError>;
  getModelVersion(id: number): ResultAsync<ModelVersion, CivitaiError>;
  /** Any stored hash type (SHA256, AutoV2, BLAKE3, …). An unknown hash is NOT_FOUND, which is normal. */
  getVersionByHash(hash: string): ResultAsync<ModelVersion, CivitaiError>;
  /** SHA-256 hashes, any number (sent 100 per request); unknown hashes are simply absent from the answer. */
  getVersionsByHashes(sha256s: readonly string[]): ResultAsync<ModelVersion[], CivitaiError>;
  /** Models by id, any number (sent 100 per request), NSFW included; unknown or hidden ids are absent. */
  getModels(query: { readonly ids: readonly number[] }): ResultAsync<Model[], CivitaiError>;
  searchModels(query: SearchModelsQuery): ResultAsync<SearchModelsResult, CivitaiError>;
  resolveDownload(versionId: number, selection?: DownloadSelection): ResultAsync<ResolvedDownload, CivitaiError>;
}

const BATCH_SIZE = 100;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createCivitaiClient(options: CivitaiClientOptions): CivitaiClient {
  const base = new URL(options.baseUrl);
  const apiOrigin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, '');
  const apiKey = options.apiKey !== undefined && options.apiKey !== '' ? options.apiKey : undefined;
  const secrets = apiKey !== undefined ? [apiKey] : [];
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const { send, readCapped, failure, json } = createTransport({
    apiOrigin, apiKey, secrets, now,
    userAgent: options.userAgent ?? USER_AGENT,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    ...(options.dispatcher !== undefined ? { dispatcher: options.dispatcher } : {}),
  });

  const context = (what: string): RequestContext => ({ what, keySent: apiKey !== undefined, secrets });

  function apiUrl(path: string, query?: URLSearchParams): URL {
    const url = new URL(`${basePath}${path}`, apiOrigin);
    if (query !== undefined) url.search = query.toString();
    return url;
  }

  function withRetries<T>(attempt: () => Promise<Result<T, CivitaiError>>): ResultAsync<T, CivitaiError> {
    return new ResultAsync(retrying(attempt, policy, random, (ms) => sleep(ms)));
  }

  function getJson<S extends z.ZodType>(url: URL, schema: S, what: string, body?: unknown): ResultAsync<z.output<S>, CivitaiError> {
    const ctx = context(what);
    return withRetries(() => json(url, schema, ctx, body));
  }

  function inBatches<T, R>(items: readonly T[], fetchBatch: (batch: readonly T[]) => ResultAsync<R[], CivitaiError>): ResultAsync<R[], CivitaiError> {
    const batches: T[][] = [];
    for (let i = 0; i < items.length; i += BATCH_SIZE) batches.push(items.slice(i, i + BATCH_SIZE));
    return batches.reduce<ResultAsync<R[], CivitaiError>>(
      (acc, batch) => acc.andThen((done) => fetchBatch(batch).map((more) => [...done, ...more])),
      okAsync([]),
    );
  }

  function badInput(message: string): ResultAsync<never, CivitaiError> {
    return new ResultAsync(Promise.resolve(err(civitaiError({ code: 'BAD_REQUEST', message }, secrets))));
  }

  function checkIds(ids: readonly number[], label: string): string | undefined {
    const bad = ids.find((id) => !civitaiIdSchema.safeParse(id).success);
    return bad === undefined ? undefined : `${label} ${String(bad)} is not a valid CivitAI id (a positive whole number).`;
  }

  async function resolveOnce(url: URL, ctx: RequestContext): Promise<Result<ResolvedDownload, CivitaiError>> {
    const sent = await send(url, ctx, { method: 'GET', accept: '*/*' });
    if (sent.isErr()) return err(sent.error);
    const response = sent.value;
    const location = header(response.headers, 'location');
    if (REDIRECTS.has(response.status) && location !== undefined) {
      await discard(response);
      return storageLocation(location, url, ctx);
    }
    if (response.status >= 200 && response.status <= 299) {
      const contentType = header(response.headers, 'content-type');
      // Never the file: the endpoint's only success is a redirect, and a 200 here is a login or error page.
      const text = isHtmlContentType(contentType) ? await readCapped(response, ERROR_BODY_BYTES) : undefined;
      if (text === undefined) await discard(response);
      const bodyText = text?.isOk() ? text.value.text : '';
      const problem = unexpectedBody({ status: response.status, contentType, bodyText }, ctx);
      return err(problem.code === 'HTML_RESPONSE' ? problem : civitaiError({
        code: 'INVALID_RESPONSE',
        status: response.status,
        message: `CivitAI answered the download of ${ctx.what} with content instead of a redirect to storage; check the CivitAI base URL.`,
      }, secrets));
    }
    return err(await failure(response, ctx));
  }

  function storageLocation(location: string, requestUrl: URL, ctx: RequestContext): Result<ResolvedDownload, CivitaiError> {
    let target: URL;
    try {
      target = new URL(location, requestUrl);
    } catch {
      return err(civitaiError({
        code: 'INVALID_RESPONSE',
        status: 307,
        message: `CivitAI redirected the download of ${ctx.what} to an unreadable location; try again later.`,
      }, secrets));
    }
    // A browser-style answer: CivitAI sends agents it takes for browsers to its login or version page.
    if (target.origin === apiOrigin) {
      if (/^\/login\b/.test(target.pathname)) {
        return err(civitaiError({
          code: 'UNAUTHORIZED',
          status: 307,
          message: `CivitAI redirected the download of ${ctx.what} to its login page; set a key with \`comfyui-dl config set-key\`.`,
        }, secrets));
      }
      if (/^\/model-versions\/\d+/.test(target.pathname)) {
        return err(civitaiError({
          code: 'EARLY_ACCESS',
          status: 307,
          message: `CivitAI redirected the download of ${ctx.what} to the version's page, as it does for Early Access; buy access on the site or wait until it is public.`,
        }, secrets));
      }
    }
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      return err(civitaiError({
        code: 'INVALID_RESPONSE',
        status: 307,
        message: `CivitAI redirected the download of ${ctx.what} to something that is not an http(s) URL; try again later.`,
      }, secrets));
    }
    const fileName = fileNameFromSignedUrl(target);
    return ok({ url: target.toString(), ...(fileName !== undefined ? { fileName } : {}) });
  }

  return {
    getModel(id) {
      const bad = checkIds([id], 'The model id');
      if (bad !== undefined) return badInput(bad);
      return getJson(apiUrl(`/api/v1/models/${id}`), modelSchema, `model ${id}`);
    },

    getModelVersion(id) {
      const bad = checkIds([id], 'The version id');
      if (bad !== undefined) return badInput(bad);
      return getJson(apiUrl(`/api/v1/model-versions/${id}`), modelVersionSchema, `model version ${id}`);
    },

    getVersionByHash(hash) {
      const clean = hash.trim();
      if (!/^[0-9a-f]{1,128}$/i.test(clean)) return badInput(`\`${clean.slice(0, 80)}\` is not a hexadecimal hash.`);
      const upper = clean.toUpperCase();
      return getJson(apiUrl(`/api/v1/model-versions/by-hash/${upper}`), modelVersionSchema, `the model version with hash ${upper}`);
    },

    getVersionsByHashes(sha256s) {
      const bad = sha256s.find((h) => !/^[0-9a-f]{64}$/i.test(h));
      if (bad !== undefined) return badInput(`\`${bad.slice(0, 80)}\` is not a SHA-256 hash (64 hexadecimal digits).`);
      const unique = [...new Set(sha256s.map((h) => h.toUpperCase()))];
      return inBatches(unique, (batch) =>
        getJson(apiUrl('/api/v1/model-versions/by-hash'), modelVersionListSchema, `the versions of ${batch.length} hashes`, batch),
      );
    },

    getModels({ ids }) {
      const bad = checkIds(ids, 'The model id');
      if (bad !== undefined) return badInput(bad);
      const unique = [...new Set(ids)];
      return inBatches(unique, (batch) => {
        const query = new URLSearchParams({ ids: batch.join(','), limit: String(BATCH_SIZE), nsfw: 'true' });
        return getJson(apiUrl('/api/v1/models', query), modelSearchPageSchema, `models ${describeIds(batch)}`)
          .map((page) => page.items);
      });
    },

    searchModels(q) {
      const query = new URLSearchParams();
      if (q.query !== undefined && q.query !== '') query.set('query', q.query);
      for (const type of q.types ?? []) query.append('types', type);
      for (const baseModel of q.baseModels ?? []) query.append('baseModels', baseModel);
      if (q.sort !== undefined) query.set('sort', q.sort);
      if (q.nsfw !== undefined) query.set('nsfw', String(q.nsfw));
      if (q.limit !== undefined) query.set('limit', String(q.limit));
      if (q.cursor !== undefined) query.set('cursor', q.cursor);
      return getJson(apiUrl('/api/v1/models', query), modelSearchPageSchema, 'the model search').map((page) => {
        const cursor = page.metadata.nextCursor;
        return {
          items: page.items,
          ...(cursor !== undefined && cursor !== null && cursor !== '' ? { nextCursor: String(cursor) } : {}),
        };
      });
    },

    resolveDownload(versionId, selection = {}) {
      const bad = checkIds([versionId, ...(selection.fileId !== undefined ? [selection.fileId] : [])], 'The id');
      if (bad !== undefined) return badInput(bad);
      const query = new URLSearchParams();
      for (const key of ['type', 'format', 'size', 'fp', 'quantType'] as const) {
        const value = selection[key];
        if (value !== undefined && value !== '') query.set(key, value);
      }
      if (selection.fileId !== undefined) query.set('fileId', String(selection.fileId));
      const url = apiUrl(`/api/download/models/${versionId}`, query);
      const ctx = context(`model version ${versionId}${selection.fileId !== undefined ? ` (file ${selection.fileId})` : ''}`);
      return withRetries(() => resolveOnce(url, ctx));
    },
  };
}

function describeIds(ids: readonly number[]): string {
  return ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;
}
