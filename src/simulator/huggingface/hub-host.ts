// The hub host (stand-in for huggingface.co): the model API, the `resolve` route with its redirect of LFS files
// to the storage host, a control route to push commits, and the hub's headers, errors and injected failures.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { FaultBook, RequestSubject } from '../faults.js';
import { readBody, sendBody, sendJson, type Headers } from '../http-send.js';
import { ifRangeHolds, parseRange } from '../range.js';
import type { UrlSigner } from '../signing.js';
import { entryNotFound, fileAccess, identifyHubCaller, repoAccess, revisionNotFound, type HubRefusal } from './hub-access.js';
import type { TokenSpec } from './hub-spec.js';
import { fileEntry, directoryEntry, modelInfo, treeEntries, unknownExpandKey } from './hub-views.js';
import type { HubBlob, HubCommit, HubRepo, HubWorld } from './hub-world.js';

export interface HubHostDeps {
  readonly world: HubWorld;
  readonly faults: FaultBook;
  readonly signer: UrlSigner;
  readonly tokens: readonly TokenSpec[];
  readonly hubUrl: string;
  readonly storageUrl: string;
  readonly signedUrlTtlMs: number;
  readonly treePageSize: number;
}

const EXPOSED = 'X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Hash';
const MAX_POST_BYTES = 1024 * 1024;
const REPO = '([^/]+/[^/]+)';
const MODEL_PATH = new RegExp(`^/api/models/${REPO}(?:/revision/([^/]+))?$`);
const PATHS_INFO_PATH = new RegExp(`^/api/models/${REPO}/paths-info/([^/]+)$`);
const TREE_PATH = new RegExp(`^/api/models/${REPO}/tree/([^/]+)(/.*)?$`);
const RESOLVE_PATH = new RegExp(`^/${REPO}/resolve/([^/]+)/(.+)$`);
const RATE_LIMIT_MESSAGE =
  'We had to rate limit your IP. To continue using our service, create a HF account or login to your existing account, and make sure you pass a HF_TOKEN if you are using the API.';

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A path of percent-encoded segments, each decoded (so `%2F` inside a segment stays part of the name). */
function decodePath(raw: string): string | undefined {
  const parts = raw.split('/').map(decode);
  return parts.some((part) => part === undefined || part === '' || part === '.' || part === '..') ? undefined : parts.join('/');
}

function requestId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function sendRefusal(res: ServerResponse, refusal: HubRefusal, headers: Headers = {}): void {
  sendJson(res, refusal.status, { error: refusal.message }, {
    ...headers,
    ...(refusal.code !== undefined ? { 'X-Error-Code': refusal.code } : {}),
    'X-Error-Message': refusal.message,
  });
}

/** RFC 5987 `filename*` and a plain ASCII fallback, as the hub writes Content-Disposition. */
function disposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|"/g, '_');
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${ascii}";`;
}

/** A renamed repo's old URLs answer with a relative redirect to the same URL under the new name. */
function renamedLocation(world: HubWorld, url: URL): string | undefined {
  const match = /^(\/api\/models\/|\/)([^/]+\/[^/]+)(\/.*)?$/.exec(url.pathname);
  const current = match ? world.renamedTo(match[2] ?? '') : undefined;
  if (!match || current === undefined) return undefined;
  return `${match[1]}${current}${match[3] ?? ''}${url.search}`;
}

interface Route {
  readonly subject: RequestSubject | undefined;
  handle(): void | Promise<void>;
}

export function handleHubRequest(deps: HubHostDeps, req: IncomingMessage, res: ServerResponse): Promise<void> | void {
  const url = new URL(req.url ?? '/', deps.hubUrl);
  const common: Headers = {
    'X-Request-Id': requestId(),
    'X-Powered-By': 'huggingface-moon',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': EXPOSED,
    Vary: 'Origin, Accept',
  };
  const moved = renamedLocation(deps.world, url);
  if (moved !== undefined) {
    return sendBody(res, 307, 'text/plain; charset=utf-8', `Temporary Redirect. Redirecting to ${moved}`, { ...common, Location: moved });
  }
  const route = routeOf(deps, req, res, url, common);
  if (!route) return sendJson(res, 404, { error: 'Not Found' }, common);
  if (route.subject) {
    const [status] = deps.faults.take(route.subject, ['status']);
    if (status) {
      const message = status.status === 429 ? RATE_LIMIT_MESSAGE : status.status >= 500 ? 'Internal Error' : `Error ${status.status}`;
      return sendJson(res, status.status, { error: message }, {
        ...common,
        ...(status.retryAfter === undefined ? {} : { 'Retry-After': String(status.retryAfter) }),
        ...(status.status === 429 ? { RateLimit: '"api";r=0;t=' + String(status.retryAfter ?? 300), 'RateLimit-Policy': '"fixed window";"api";q=500;w=300' } : {}),
      });
    }
  }
  return route.handle();
}

function routeOf(deps: HubHostDeps, req: IncomingMessage, res: ServerResponse, url: URL, common: Headers): Route | undefined {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const caller = identifyHubCaller(req, deps.tokens);
  const notAllowed = (): void => sendJson(res, 405, { error: 'Method not allowed' }, common);

  const resolveMatch = RESOLVE_PATH.exec(path);
  if (resolveMatch) {
    const [, repoId = '', rawRevision = '', rawFile = ''] = resolveMatch;
    const revision = decode(rawRevision);
    const file = decodePath(rawFile);
    return {
      subject: { target: 'download', repo: repoId, ...(file !== undefined ? { path: file } : {}) },
      handle: () => {
        if (method !== 'GET' && method !== 'HEAD') return notAllowed();
        const { repo, refusal } = fileAccess(caller, deps.world.repo(repoId), deps.hubUrl);
        if (refusal) return sendRefusal(res, refusal, common);
        if (revision === undefined || file === undefined) return sendRefusal(res, { status: 400, message: 'Invalid path' }, common);
        const commit = repo.resolve(revision);
        if (!commit) return sendRefusal(res, revisionNotFound(revision), common);
        const blob = commit.files.get(file);
        if (!blob) return sendRefusal(res, entryNotFound(file, revision), { ...common, 'X-Repo-Commit': commit.id });
        return serveResolve(deps, req, res, { repo, commit, path: file, blob }, common);
      },
    };
  }

  if (path === '/_sim/commit') {
    return { subject: undefined, handle: () => (method === 'POST' ? controlCommit(deps, req, res, common) : notAllowed()) };
  }

  const withRepo = (repoId: string, rawRevision: string | undefined, then: (repo: HubRepo, commit: HubCommit, revision: string) => void | Promise<void>) => () => {
    const { repo, refusal } = repoAccess(caller, deps.world.repo(repoId));
    if (refusal) return sendRefusal(res, refusal, common);
    const revision = rawRevision === undefined ? 'main' : decode(rawRevision);
    const commit = revision === undefined ? undefined : repo.resolve(revision);
    if (!commit) return sendRefusal(res, revisionNotFound(revision ?? rawRevision ?? ''), common);
    return then(repo, commit, revision ?? 'main');
  };

  const model = MODEL_PATH.exec(path);
  if (model) {
    const [, repoId = '', rawRevision] = model;
    return {
      subject: { target: 'api', repo: repoId },
      handle: method !== 'GET' ? notAllowed : withRepo(repoId, rawRevision, (repo, commit) => {
        const expand = url.searchParams.getAll('expand').concat(url.searchParams.getAll('expand[]'));
        const unknown = unknownExpandKey(expand);
        if (unknown !== undefined) return sendRefusal(res, { status: 400, message: `"expand" must be one of the model's properties, got ${unknown}` }, common);
        sendJson(res, 200, modelInfo(repo, commit, { blobs: url.searchParams.get('blobs') === 'true', expand }), common);
      }),
    };
  }

  const pathsInfo = PATHS_INFO_PATH.exec(path);
  if (pathsInfo) {
    const [, repoId = '', rawRevision = ''] = pathsInfo;
    return {
      subject: { target: 'api', repo: repoId },
      handle: method !== 'POST' ? notAllowed : withRepo(repoId, rawRevision, async (repo, commit) => {
        const query = await readPathsQuery(req);
        if (!query) return sendRefusal(res, { status: 400, message: '"paths" is required and must be a list of strings' }, common);
        const directories = repo.directories(commit);
        const entries = query.paths.flatMap((wanted) => {
          const blob = commit.files.get(wanted);
          if (blob) return [fileEntry(repo, commit, wanted, blob, { expand: query.expand })];
          return directories.has(wanted) ? [directoryEntry(commit, wanted)] : [];
        });
        sendJson(res, 200, entries, common);
      }),
    };
  }

  const tree = TREE_PATH.exec(path);
  if (tree) {
    const [, repoId = '', rawRevision = '', rawFolder] = tree;
    return {
      subject: { target: 'api', repo: repoId },
      handle: method !== 'GET' ? notAllowed : withRepo(repoId, rawRevision, (repo, commit, revision) => {
        const folder = rawFolder === undefined || rawFolder === '/' ? '' : decodePath(rawFolder.slice(1).replace(/\/$/, ''));
        const expand = url.searchParams.get('expand') === 'true';
        const entries = folder === undefined ? undefined : treeEntries(repo, commit, folder, url.searchParams.get('recursive') === 'true', { expand });
        if (!entries) return sendRefusal(res, entryNotFound(folder ?? rawFolder ?? '', revision), common);
        const offset = Number(url.searchParams.get('cursor') ?? '0');
        const start = Number.isSafeInteger(offset) && offset > 0 ? offset : 0;
        const page = entries.slice(start, start + deps.treePageSize);
        const more = start + deps.treePageSize < entries.length;
        const next = new URL(url.href);
        next.searchParams.set('cursor', String(start + deps.treePageSize));
        sendJson(res, 200, page, { ...common, ...(more ? { Link: `<${next.href}>; rel="next"` } : {}) });
      }),
    };
  }
  return undefined;
}

const pathsInfoJsonSchema = z.object({ paths: z.array(z.string()).min(1), expand: z.boolean().optional() });

/** huggingface_hub posts a form (`paths=a&paths=b&expand=True`), huggingface.js posts JSON. */
async function readPathsQuery(req: IncomingMessage): Promise<{ paths: string[]; expand: boolean } | undefined> {
  const body = await readBody(req, MAX_POST_BYTES);
  if (body === undefined) return undefined;
  const text = body.toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = pathsInfoJsonSchema.safeParse(json);
    return parsed.success ? { paths: parsed.data.paths, expand: parsed.data.expand ?? false } : undefined;
  }
  const form = new URLSearchParams(text);
  const paths = form.getAll('paths');
  return paths.length > 0 ? { paths, expand: /^true$/i.test(form.get('expand') ?? '') } : undefined;
}

interface Located {
  readonly repo: HubRepo;
  readonly commit: HubCommit;
  readonly path: string;
  readonly blob: HubBlob;
}

function serveResolve(deps: HubHostDeps, req: IncomingMessage, res: ServerResponse, found: Located, common: Headers): void {
  const { repo, commit, path, blob } = found;
  const base: Headers = { ...common, 'X-Repo-Commit': commit.id, 'Accept-Ranges': 'bytes' };
  if (blob.lfs) {
    const [hostile] = deps.faults.take({ target: 'download', repo: repo.id, path }, ['hostile-name']);
    const location = deps.signer.mint({
      storageKey: blob.storageKey,
      fileName: hostile?.name ?? path,
      contentDisposition: disposition(hostile?.name ?? path),
      ttlMs: deps.signedUrlTtlMs,
    });
    const xet: Headers = blob.xetHash === undefined ? {} : {
      'X-Xet-Hash': blob.xetHash,
      Link: `<${deps.hubUrl}/api/models/${repo.id}/xet-read-token/${commit.id}>; rel="xet-auth", <${deps.storageUrl}/cas/v1/reconstructions/${blob.xetHash}>; rel="xet-reconstruction-info"`,
    };
    return sendBody(res, 302, 'text/plain; charset=utf-8', `Found. Redirecting to ${location}`, {
      ...base,
      ...xet,
      Location: location,
      ETag: `"${blob.gitId}"`,
      'X-Linked-Etag': `"${blob.sha256}"`,
      'X-Linked-Size': String(blob.size),
    });
  }
  const etag = `"${blob.gitId}"`;
  const ifRange = req.headers['if-range'];
  const requested = ifRangeHolds(typeof ifRange === 'string' ? ifRange : undefined, etag, blob.lastModified)
    ? parseRange(req.headers.range, blob.size)
    : ({ kind: 'full' } as const);
  const headers: Headers = { ...base, ETag: etag, 'Content-Disposition': disposition(path), 'Last-Modified': blob.lastModified.toUTCString() };
  if (requested.kind === 'unsatisfiable') {
    return sendBody(res, 416, 'text/plain; charset=utf-8', 'Range Not Satisfiable', { ...headers, 'Content-Range': `bytes */${blob.size}` });
  }
  const [start, end] = requested.kind === 'partial' ? [requested.start, requested.end + 1] : [0, blob.size];
  sendBody(res, requested.kind === 'partial' ? 206 : 200, 'text/plain; charset=utf-8', blob.content.read(start, end), {
    ...headers,
    ...(requested.kind === 'partial' ? { 'Content-Range': `bytes ${start}-${end - 1}/${blob.size}` } : {}),
  });
}

const commitRequestSchema = z.object({
  repo: z.string(),
  branch: z.string().optional(),
  title: z.string().optional(),
  changes: z.array(z.object({ path: z.string().min(1), text: z.string().optional() })).default([]),
  deletions: z.array(z.string()).optional(),
});

/** Not a hub route: lets a test or a demo in another process push a commit. Answers like the hub's commit API. */
async function controlCommit(deps: HubHostDeps, req: IncomingMessage, res: ServerResponse, common: Headers): Promise<void> {
  const body = await readBody(req, MAX_POST_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(body?.toString('utf8') ?? '');
  } catch {
    return sendJson(res, 400, { error: 'the body must be JSON' }, common);
  }
  const parsed = commitRequestSchema.safeParse(json);
  if (!parsed.success) return sendJson(res, 400, { error: parsed.error.message }, common);
  const repo = deps.world.repo(parsed.data.repo);
  if (!repo) return sendJson(res, 404, { error: `no repo ${parsed.data.repo}` }, common);
  try {
    const commit = repo.commit({
      ...(parsed.data.branch !== undefined ? { branch: parsed.data.branch } : {}),
      ...(parsed.data.title !== undefined ? { title: parsed.data.title } : {}),
      changes: parsed.data.changes.map((change) => ({
        path: change.path,
        ...(change.text !== undefined ? { content: { format: 'text' as const, text: change.text } } : {}),
      })),
      ...(parsed.data.deletions !== undefined ? { deletions: parsed.data.deletions } : {}),
    });
    sendJson(res, 200, { commitUrl: `${deps.hubUrl}/${repo.id}/commit/${commit.id}`, commitOid: commit.id }, common);
  } catch (error) {
    sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) }, common);
  }
}
