// The API host (stand-in for civitai.com): routing, auth, CORS and cache headers, injected failures, and the
// pages a browser would be sent to.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ViewContext } from './api-views.js';
import { identifyCaller, type Caller } from './caller.js';
import { decideDownload, downloadRedirect, loginPage } from './download-route.js';
import type { FaultBook, FaultTarget, RequestSubject } from './faults.js';
import { readBody, sendBody, type Headers } from './http-send.js';
import { imageAt } from './image-route.js';
import {
  getEnums, getMe, getModel, getVersion, getVersionByHash, listImages, postVersionIdsByHash, postVersionsByHash,
} from './metadata-routes.js';
import { listModels } from './models-query.js';
import { CLOUDFLARE_CHALLENGE_HEADERS, html, json, page, pages, writeReply, type Reply } from './reply.js';
import type { UrlSigner } from './signing.js';
import type { World } from './world.js';

export interface ApiHostDeps {
  readonly world: World;
  readonly faults: FaultBook;
  readonly signer: UrlSigner;
  readonly apiUrl: string;
  readonly apiKey: string | undefined;
  readonly requireAuthForDownloads: boolean;
  readonly signedUrlTtlMs: number;
}

const CORS: Headers = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*' };
const PUBLIC_CACHE: Headers = { 'Cache-Control': 'public, s-maxage=300, stale-while-revalidate=150' };
const METHOD_NOT_ALLOWED = { error: 'Method not allowed' };
/** Python's default agent was blocked by Cloudflare's WAF before CivitAI's code ran. */
const WAF_BLOCKED_AGENT = /^Python-urllib\//;
const MAX_POST_BYTES = 2 * 1024 * 1024;

const DOWNLOAD_PATH = /^\/api\/download\/models\/([^/]*)$/;
const VERSION_PATH = /^\/api\/v1\/model-versions\/([^/]+)$/;
const BY_HASH_PATH = /^\/api\/v1\/model-versions\/by-hash\/?([^/]*)$/;
const MODEL_PATH = /^\/api\/v1\/models\/([^/]+)$/;
const VERSION_PAGE_PATH = /^\/model-versions\/\d+$/;

/** Bodies the real site sends with these statuses on these routes; others get the reason phrase. */
function injectedFailureBody(status: number, target: FaultTarget, path: string): Record<string, string> {
  if (status === 451) {
    return { error: 'Access to this service is not available in your region due to legal restrictions.', code: 'REGION_BLOCKED' };
  }
  if (status === 429 && target === 'download') {
    return { error: "We've noticed an unusual amount of downloading from your account. Contact support@civitai.com or come back later." };
  }
  if (status === 503 && path === '/api/v1/models') return { error: 'Model search is temporarily overloaded — please retry.' };
  if (status === 500 && VERSION_PATH.test(path)) return { error: 'Failed to fetch model version details' };
  return { error: STATUS_CODES[status] ?? 'Error' };
}

function subjectOf(path: string): RequestSubject | undefined {
  const download = DOWNLOAD_PATH.exec(path);
  if (download) return { target: 'download', versionId: Number(download[1]) };
  if (!path.startsWith('/api/')) return undefined;
  const version = VERSION_PATH.exec(path);
  return { target: 'api', versionId: version && /^\d+$/.test(version[1] ?? '') ? Number(version[1]) : undefined };
}

/** Failures injected ahead of any route logic. */
function injectedFailure(deps: ApiHostDeps, path: string, subject: RequestSubject | undefined, caller: Caller): Reply | undefined {
  if (WAF_BLOCKED_AGENT.test(caller.userAgent)) return html(403, pages.cloudflareChallenge, CLOUDFLARE_CHALLENGE_HEADERS);
  if (!subject) return undefined;
  const [cloudflare] = deps.faults.take(subject, ['cloudflare']);
  if (cloudflare) return html(403, pages.cloudflareChallenge, CLOUDFLARE_CHALLENGE_HEADERS);
  const [status] = deps.faults.take(subject, ['status']);
  if (status) {
    const headers: Headers = { 'Cache-Control': 'no-store', ...(status.retryAfter === undefined ? {} : { 'Retry-After': String(status.retryAfter) }) };
    return json(status.status, injectedFailureBody(status.status, subject.target, path), headers);
  }
  if (subject.target === 'download' && deps.faults.take(subject, ['html-login']).length > 0) return loginPage();
  return undefined;
}

function download(deps: ApiHostDeps, req: IncomingMessage, url: URL, versionId: string, caller: Caller): Reply {
  const decision = decideDownload(deps.world, {
    versionId,
    query: url.searchParams,
    caller,
    requireAuth: deps.requireAuthForDownloads,
    method: req.method ?? 'GET',
    now: Date.now(),
  });
  if (decision.kind === 'reply') return decision.reply;
  const { file } = decision;
  const [hostile] = deps.faults.take({ target: 'download', versionId: file.version.id, fileId: file.id }, ['hostile-name']);
  const signed = deps.signer.mint({ storageKey: file.storageKey, fileName: hostile?.name ?? file.name, ttlMs: deps.signedUrlTtlMs });
  return downloadRedirect(signed);
}

/** Routes that need no request body. */
function route(deps: ApiHostDeps, req: IncomingMessage, url: URL, caller: Caller): Reply {
  const path = url.pathname;
  const ctx: ViewContext = { apiUrl: deps.apiUrl, now: Date.now() };
  const { world } = deps;
  const get = req.method === 'GET' || req.method === 'HEAD';
  const downloadMatch = DOWNLOAD_PATH.exec(path);
  if (downloadMatch) return download(deps, req, url, downloadMatch[1] ?? '', caller);

  const byHash = BY_HASH_PATH.exec(path);
  if (byHash && get) return getVersionByHash(ctx, world, byHash[1] ?? '');
  if (path === '/api/v1/models') return get ? listModels(ctx, world.models, url.searchParams, caller.authenticated) : json(405, METHOD_NOT_ALLOWED);
  const model = MODEL_PATH.exec(path);
  if (model) return get ? getModel(ctx, world, model[1] ?? '') : json(405, METHOD_NOT_ALLOWED);
  const version = VERSION_PATH.exec(path);
  if (version && !byHash) return get ? getVersion(ctx, world, version[1] ?? '') : json(405, METHOD_NOT_ALLOWED);
  if (path === '/api/v1/me') return getMe(caller.authenticated);
  if (path === '/api/v1/enums') return getEnums();
  if (path === '/api/v1/images') return listImages(ctx, world, url.searchParams);
  if (path === '/login') return html(200, pages.login);
  if (VERSION_PAGE_PATH.test(path)) return html(200, page('Civitai', '<div id="__next"><h1>Model version</h1></div>'));
  // Unknown paths, /api/v1 included, get Next.js's HTML 404: clients must not assume JSON.
  return html(404, pages.notFound);
}

async function routeWithBody(deps: ApiHostDeps, req: IncomingMessage, url: URL): Promise<Reply | undefined> {
  if (req.method !== 'POST') return undefined;
  const path = url.pathname;
  if (path !== '/api/v1/model-versions/by-hash' && path !== '/api/v1/model-versions/by-hash/ids') return undefined;
  const body = await readBody(req, MAX_POST_BYTES);
  if (body === undefined) return json(413, { error: 'Request body too large' });
  const ctx: ViewContext = { apiUrl: deps.apiUrl, now: Date.now() };
  return path.endsWith('/ids') ? postVersionIdsByHash(deps.world, body) : postVersionsByHash(ctx, deps.world, body);
}

export async function handleApiRequest(deps: ApiHostDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', deps.apiUrl);
  const caller = identifyCaller(req, url, deps.apiKey);
  if (req.method === 'OPTIONS') return writeReply(res, { kind: 'html', status: 200, html: '' }, CORS);

  const image = imageAt(deps.world, url.pathname);
  if (image) return sendBody(res, 200, image.contentType, image.bytes, { ...CORS, 'Cache-Control': 'public, max-age=31536000, immutable' });

  const subject = subjectOf(url.pathname);
  const reply = injectedFailure(deps, url.pathname, subject, caller) ?? (await routeWithBody(deps, req, url)) ?? route(deps, req, url, caller);
  // MixedAuthEndpoint adds the public edge-cache header only for anonymous callers.
  const cache = subject?.target === 'api' && reply.kind === 'json' && reply.status === 200 && !caller.authenticated ? PUBLIC_CACHE : {};
  writeReply(res, reply, { ...CORS, ...cache });
}
