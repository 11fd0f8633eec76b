// The Hugging Face Hub client: resolves a file reference to everything a download needs (the commit the revision
// points at, a pinned download URL, the size, the SHA-256 of an LFS file or the git blob id of a small one, and
// the repo's metadata), refreshes the signed storage URL, and finds the newest commit that changed a file.
// Metadata calls go through @huggingface/hub (paths-info, model info) with our own fetch; the `resolve` HEAD is
// ours, because the library follows redirects and we must not. The token goes only to HF_ENDPOINT's origin.
import { setTimeout as sleep } from 'node:timers/promises';
import { HubApiError, modelInfo, pathsInfo } from '@huggingface/hub';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { Dispatcher } from 'undici';
import { USER_AGENT } from '../config/project-root.js';
import { DEFAULT_RETRY_POLICY, retrying, type RetryPolicy } from '../http/retry.js';
import {
  errorFromHubResponse,
  hubNetworkError,
  invalidHubResponse,
  type HfError,
  type HfRequestContext,
} from './errors.js';
import { hubExchange, type HubExchange } from './hub-fetch.js';
import { DEFAULT_HF_ENDPOINT, fileNameOf, isCommitId, resolveUrl, type HfFileRef } from './refs.js';
import { commitIdSchema, gitOidSchema, modelInfoSchema, pathInfoSchema, sha256Schema, type PathInfo } from './schemas.js';

export interface HfClientOptions {
  /** HF_ENDPOINT: the hub or a mirror of it. Default https://huggingface.co. */
  readonly endpoint?: string;
  /** HF_TOKEN. Sent as `Authorization: Bearer` to the endpoint's origin only. */
  readonly token?: string;
  readonly userAgent?: string;
  readonly dispatcher?: Dispatcher;
  readonly retry?: Partial<RetryPolicy>;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

/** How to check the downloaded bytes: LFS files by SHA-256, small files by their git blob id (and size). */
export type HfVerification =
  | { readonly kind: 'sha256'; readonly sha256: string }
  | { readonly kind: 'git-blob'; readonly gitBlobId: string };

export interface HfCommitInfo {
  readonly id: string;
  readonly title: string;
  readonly date: string;
}

export interface HfRepoInfo {
  readonly id: string;
  readonly author?: string;
  readonly private: boolean;
  readonly gated: false | 'auto' | 'manual';
  readonly pipelineTag?: string;
  readonly libraryName?: string;
  readonly tags: readonly string[];
  readonly downloads?: number;
  readonly likes?: number;
  readonly lastModified?: string;
}

export interface HfResolvedFile {
  readonly source: 'huggingface';
  readonly repo: string;
  readonly path: string;
  readonly fileName: string;
  /** The revision as the reference named it (`main`, a tag, `refs/pr/1`, a commit id). */
  readonly revision: string;
  /** The commit id it pointed at when resolved: every later request uses this, so the bytes cannot change. */
  readonly commit: string;
  /** `resolve` at the pinned commit, on the hub: needs the token for gated or private repos, and answers an LFS
   *  file with a redirect to storage (re-ask it for a fresh storage URL; never follow it with the token). */
  readonly resolveUrl: string;
  /** The signed storage URL the hub redirected to (LFS files): self-authorising and short-lived; no token. */
  readonly storageUrl?: string;
  readonly size: number;
  readonly lfs: boolean;
  readonly verification: HfVerification;
  /** The newest commit at or before `commit` that changed this file. */
  readonly lastCommit?: HfCommitInfo;
  readonly xetHash?: string;
  readonly repoInfo: HfRepoInfo;
}

export type HfUpdateCheck =
  /** The revision is a commit id: it never moves. */
  | { readonly kind: 'pinned' }
  | { readonly kind: 'unchanged'; readonly lastCommit?: HfCommitInfo }
  | {
      readonly kind: 'changed';
      readonly lastCommit?: HfCommitInfo;
      readonly size: number;
      readonly verification: HfVerification;
    }
  | { readonly kind: 'removed' };

export interface HfClient {
  resolveFile(ref: HfFileRef): ResultAsync<HfResolvedFile, HfError>;
  /** A fresh signed storage URL for a resolved LFS file (the last one expired); undefined for files the hub
   *  serves itself. */
  refreshStorageUrl(file: Pick<HfResolvedFile, 'repo' | 'path' | 'commit'>): ResultAsync<string | undefined, HfError>;
  /** Whether the file on the reference's branch (or tag) differs from what we have. */
  checkForUpdate(ref: HfFileRef, have: HfVerification): ResultAsync<HfUpdateCheck, HfError>;
  repoInfo(repo: string, revision?: string): ResultAsync<HfRepoInfo, HfError>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A bad answer we noticed ourselves (shape, missing headers), thrown inside an attempt and turned into a value. */
class HubAnswerProblem extends Error {}

interface ResolveHead {
  readonly commit: string;
  readonly location?: string;
  readonly linkedEtag?: string;
  readonly linkedSize?: number;
  readonly etag?: string;
  readonly contentLength?: number;
  readonly xetHash?: string;
}

function unquote(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function intHeader(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function verificationOf(info: PathInfo): HfVerification {
  if (info.lfs) return { kind: 'sha256', sha256: info.lfs.oid };
  if (info.oid === undefined) throw new HubAnswerProblem('names neither an LFS SHA-256 nor a git blob id for the file');
  return { kind: 'git-blob', gitBlobId: info.oid };
}

function sameVerification(a: HfVerification, b: HfVerification): boolean {
  if (a.kind === 'sha256' && b.kind === 'sha256') return a.sha256.toLowerCase() === b.sha256.toLowerCase();
  if (a.kind === 'git-blob' && b.kind === 'git-blob') return a.gitBlobId.toLowerCase() === b.gitBlobId.toLowerCase();
  return false;
}

function commitInfo(info: PathInfo): HfCommitInfo | undefined {
  return info.lastCommit && { id: info.lastCommit.id, title: info.lastCommit.title, date: info.lastCommit.date.toISOString() };
}

export function createHfClient(options: HfClientOptions = {}): HfClient {
  const endpoint = (options.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
  const token = options.token !== undefined && options.token.trim() !== '' ? options.token.trim() : undefined;
  const secrets = token !== undefined ? [token] : [];
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const fetchOptions = {
    endpoint,
    token,
    userAgent: options.userAgent ?? USER_AGENT,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.dispatcher !== undefined ? { dispatcher: options.dispatcher } : {}),
  };

  const context = (scope: { repo: string; revision?: string; path?: string }): HfRequestContext => ({
    ...scope,
    tokenSent: token !== undefined,
    endpoint,
    secrets,
  });

  /** One try: every failure, thrown by the library, by undici or by our checks, becomes an HfError here. */
  async function attempt<T>(ctx: HfRequestContext, run: (exchange: HubExchange) => Promise<T>): Promise<Result<T, HfError>> {
    const exchange = hubExchange(fetchOptions);
    try {
      return ok(await run(exchange));
    } catch (cause) {
      const facts = exchange.failure();
      if (facts) return err(errorFromHubResponse(facts, ctx, now()));
      if (cause instanceof HubAnswerProblem) return err(invalidHubResponse(cause.message, ctx));
      // A status the library refused that was not an error (a redirect to another origin, which we never follow).
      if (cause instanceof HubApiError) return err(invalidHubResponse(`has an unexpected status ${cause.statusCode}`, ctx, cause.statusCode));
      return err(hubNetworkError(cause, ctx));
    }
  }

  function withRetries<T>(ctx: HfRequestContext, run: (exchange: HubExchange) => Promise<T>): ResultAsync<T, HfError> {
    return new ResultAsync(retrying(() => attempt(ctx, run), policy, random, (ms) => sleep(ms)));
  }

  /** HEAD of `resolve`, redirects not followed: the hub's headers describe the file. */
  async function headResolve(exchange: HubExchange, ref: HfFileRef): Promise<ResolveHead> {
    const response = await exchange.fetch(resolveUrl(ref, endpoint), { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    if (response.status >= 400) throw new HubAnswerProblem(`has status ${response.status}`);
    const commit = response.headers.get('x-repo-commit');
    if (commit === null || !commitIdSchema.safeParse(commit).success) {
      throw new HubAnswerProblem('has no commit id (X-Repo-Commit): HF_ENDPOINT may not point at a Hugging Face Hub');
    }
    const redirected = response.status >= 300 && response.status < 400;
    const location = response.headers.get('location');
    if (redirected && location === null) throw new HubAnswerProblem(`is a redirect (${response.status}) without a Location`);
    const linkedEtag = unquote(response.headers.get('x-linked-etag'));
    const linkedSize = intHeader(response.headers.get('x-linked-size'));
    const etag = unquote(response.headers.get('etag'));
    const contentLength = redirected ? undefined : intHeader(response.headers.get('content-length'));
    const xetHash = response.headers.get('x-xet-hash') ?? undefined;
    return {
      commit,
      ...(redirected && location !== null ? { location: new URL(location, resolveUrl(ref, endpoint)).href } : {}),
      ...(linkedEtag !== undefined ? { linkedEtag } : {}),
      ...(linkedSize !== undefined ? { linkedSize } : {}),
      ...(etag !== undefined ? { etag } : {}),
      ...(contentLength !== undefined ? { contentLength } : {}),
      ...(xetHash !== undefined ? { xetHash } : {}),
    };
  }

  async function pathInfo(exchange: HubExchange, repo: string, revision: string, path: string): Promise<PathInfo | undefined> {
    const entries = await pathsInfo({ repo: { type: 'model', name: repo }, paths: [path], revision, expand: true, hubUrl: endpoint, fetch: exchange.fetch });
    const entry = entries.find((candidate) => candidate.path === path);
    if (entry === undefined) return undefined;
    const parsed = pathInfoSchema.safeParse(entry);
    if (!parsed.success) throw new HubAnswerProblem(`has an unexpected shape (paths-info: ${parsed.error.issues[0]?.message ?? 'invalid'})`);
    if (parsed.data.type !== 'file') throw new HubAnswerProblem(`names a ${parsed.data.type}, not a file`);
    return parsed.data;
  }

  async function fetchRepoInfo(exchange: HubExchange, repo: string, revision: string): Promise<HfRepoInfo> {
    const info = await modelInfo({
      name: repo,
      revision,
      additionalFields: ['sha', 'tags', 'library_name', 'author'],
      hubUrl: endpoint,
      fetch: exchange.fetch,
    });
    const parsed = modelInfoSchema.safeParse(info);
    if (!parsed.success) throw new HubAnswerProblem(`has an unexpected shape (model info: ${parsed.error.issues[0]?.message ?? 'invalid'})`);
    const data = parsed.data;
    return {
      id: data.name,
      ...(data.author ? { author: data.author } : {}),
      private: data.private,
      gated: data.gated,
      ...(data.task ? { pipelineTag: data.task } : {}),
      ...(data.library_name ? { libraryName: data.library_name } : {}),
      tags: data.tags ?? [],
      ...(data.downloads !== undefined ? { downloads: data.downloads } : {}),
      ...(data.likes !== undefined ? { likes: data.likes } : {}),
      ...(data.updatedAt !== undefined ? { lastModified: data.updatedAt.toISOString() } : {}),
    };
  }

  async function resolveOnce(exchange: HubExchange, ref: HfFileRef): Promise<HfResolvedFile> {
    const head = await headResolve(exchange, ref);
    const [info, repoInfo] = await Promise.all([pathInfo(exchange, ref.repo, head.commit, ref.path), fetchRepoInfo(exchange, ref.repo, head.commit)]);
    // A renamed repo answers under its new name (the hub redirected us there): pin that.
    const pinned: HfFileRef = { ...ref, repo: repoInfo.id, revision: head.commit };
    if (!info) throw new HubAnswerProblem(`lists no ${ref.path} at commit ${head.commit} although resolve served it`);
    const verification = verificationOf(info);
    const lfs = verification.kind === 'sha256';
    // Two views of one file must agree: the resolve headers and paths-info.
    if (lfs) {
      const fromHeader = head.linkedEtag !== undefined ? sha256Schema.safeParse(head.linkedEtag) : undefined;
      if (fromHeader?.success && fromHeader.data !== verification.sha256) {
        throw new HubAnswerProblem(`gives two SHA-256 values (X-Linked-Etag ${fromHeader.data}, paths-info ${verification.sha256})`);
      }
    } else if (head.etag !== undefined && gitOidSchema.safeParse(head.etag).success && head.etag !== verification.gitBlobId) {
      throw new HubAnswerProblem(`gives two git blob ids (ETag ${head.etag}, paths-info ${verification.gitBlobId})`);
    }
    const size = (lfs ? head.linkedSize : head.contentLength) ?? info.size;
    if (size !== info.size) throw new HubAnswerProblem(`gives two sizes (${size} in resolve, ${info.size} in paths-info)`);
    const lastCommit = commitInfo(info);
    return {
      source: 'huggingface',
      repo: pinned.repo,
      path: ref.path,
      fileName: fileNameOf(ref),
      revision: ref.revision,
      commit: head.commit,
      resolveUrl: resolveUrl(pinned, endpoint),
      ...(head.location !== undefined ? { storageUrl: head.location } : {}),
      size,
      lfs,
      verification,
      ...(lastCommit ? { lastCommit } : {}),
      ...(head.xetHash !== undefined ? { xetHash: head.xetHash } : info.xetHash !== undefined ? { xetHash: info.xetHash } : {}),
      repoInfo,
    };
  }

  return {
    resolveFile(ref) {
      return withRetries(context(ref), (exchange) => resolveOnce(exchange, ref));
    },

    refreshStorageUrl(file) {
      const ref: HfFileRef = { repo: file.repo, revision: file.commit, path: file.path };
      return withRetries(context(ref), async (exchange) => (await headResolve(exchange, ref)).location);
    },

    checkForUpdate(ref, have) {
      if (isCommitId(ref.revision)) return new ResultAsync(Promise.resolve(ok<HfUpdateCheck, HfError>({ kind: 'pinned' })));
      return withRetries(context(ref), async (exchange): Promise<HfUpdateCheck> => {
        const info = await pathInfo(exchange, ref.repo, ref.revision, ref.path);
        if (!info) return { kind: 'removed' };
        const verification = verificationOf(info);
        const lastCommit = commitInfo(info);
        if (sameVerification(verification, have)) return { kind: 'unchanged', ...(lastCommit ? { lastCommit } : {}) };
        return { kind: 'changed', ...(lastCommit ? { lastCommit } : {}), size: info.size, verification };
      });
    },

    repoInfo(repo, revision = 'main') {
      return withRetries(context({ repo, revision }), (exchange) => fetchRepoInfo(exchange, repo, revision));
    },
  };
}
