// The live state of the simulated Hub: repos, their commits and refs, and the blobs the commits point at. Tests
// (and the control route) add commits while clients talk to the simulator, as a maintainer pushing would.
import { createHash } from 'node:crypto';
import { gitBlobId } from '../../huggingface/git-blob.js';
import { generatedContent, type FileContent } from '../content.js';
import { buildContent } from '../fixture-kinds.js';
import type { StoredObject } from '../storage-host.js';
import type { HubContentSpec, HubFileSpec, HubSpec, RepoSpec } from './hub-spec.js';

const LFS_EXTENSIONS = /\.(safetensors|sft|gguf|ckpt|pt|pth|bin|onnx|pkl|msgpack|h5|zip|tar|gz|npz|pb)$/i;
/** Commit dates grow by this much per commit in a repo, from this epoch. */
const EPOCH_MS = Date.UTC(2024, 6, 1);
const COMMIT_STEP_MS = 3_600_000;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** The LFS pointer file git stores in place of the content. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

function contentOf(spec: HubContentSpec, seed: string): FileContent {
  if (spec.format === 'text') {
    const bytes = Buffer.from(spec.text, 'utf8');
    return generatedContent(seed, bytes.length, bytes);
  }
  return buildContent(spec, seed).content;
}

/** One version of one file's bytes. LFS blobs live on the storage host; the others are served by the hub. */
export class HubBlob implements StoredObject {
  /** The repo and path it was committed at (for scoping faults). */
  readonly repo: string;
  readonly path: string;
  readonly content: FileContent;
  readonly lfs: boolean;
  readonly xetHash: string | undefined;
  private cachedSha256: string | undefined;
  private cachedGitId: string | undefined;
  private etagGeneration = 0;
  private modifiedAt: Date;

  constructor(where: { readonly repo: string; readonly path: string }, content: FileContent, lfs: boolean, xet: boolean, uploadedAt: Date) {
    this.repo = where.repo;
    this.path = where.path;
    this.content = content;
    this.lfs = lfs;
    this.modifiedAt = new Date(uploadedAt.getTime() - (uploadedAt.getTime() % 1000));
    this.xetHash = xet ? createHash('sha256').update('xet ').update(this.sha256).digest('hex') : undefined;
  }

  get size(): number {
    return this.content.length;
  }

  /** Lower-case hex, as the hub writes it. */
  get sha256(): string {
    if (this.cachedSha256 === undefined) {
      const hash = createHash('sha256');
      for (const piece of this.content.pieces(0, this.content.length)) hash.update(piece);
      this.cachedSha256 = hash.digest('hex');
    }
    return this.cachedSha256;
  }

  get pointer(): string {
    return lfsPointer(this.sha256, this.size);
  }

  /** What git stores: the pointer for an LFS file, else the bytes. The tree's `oid`. */
  get gitId(): string {
    this.cachedGitId ??= this.lfs
      ? gitBlobId(Buffer.from(this.pointer, 'utf8'))
      : gitBlobId(this.content.pieces(0, this.content.length), this.content.length);
    return this.cachedGitId;
  }

  /** Where the storage host keeps it: content-addressed, like the Hub's LFS buckets. */
  get storageKey(): string {
    return `repos/${this.sha256.slice(0, 2)}/${this.sha256.slice(2, 4)}/${this.sha256}`;
  }

  /** The storage host's validator (an S3 ETag, not the SHA-256). */
  get etag(): string {
    return `"${createHash('md5').update(`${this.sha256}:${this.etagGeneration}`).digest('hex')}"`;
  }

  get lastModified(): Date {
    return this.modifiedAt;
  }

  touch(): void {
    this.etagGeneration += 1;
    const now = Math.floor(Date.now() / 1000) * 1000;
    this.modifiedAt = new Date(Math.max(now, this.modifiedAt.getTime() + 1000));
  }
}

export interface HubCommit {
  /** 40 hex digits. */
  readonly id: string;
  readonly parent: HubCommit | undefined;
  readonly title: string;
  /** ISO time. */
  readonly date: string;
  readonly files: ReadonlyMap<string, HubBlob>;
}

export interface FileChange {
  readonly path: string;
  /** New content; default: the same kind of content with new bytes. */
  readonly content?: HubContentSpec;
  readonly lfs?: boolean;
}

export interface CommitRequest {
  /** Default `main`. A branch that does not exist yet starts from `main`'s head. */
  readonly branch?: string;
  readonly title?: string;
  readonly changes: readonly FileChange[];
  readonly deletions?: readonly string[];
}

export class HubRepo {
  readonly id: string;
  readonly author: string;
  readonly private: boolean;
  readonly gated: false | 'auto' | 'manual';
  readonly xet: boolean;
  readonly pipelineTag: string | undefined;
  readonly libraryName: string | undefined;
  readonly tags: readonly string[];
  /** A Mongo-style id, as in the hub's `_id`. */
  readonly objectId: string;
  readonly createdAt: string;
  private readonly branches = new Map<string, HubCommit>();
  private readonly gitTags = new Map<string, HubCommit>();
  private readonly pullRequests: HubCommit[] = [];
  private readonly commits = new Map<string, HubCommit>();
  private readonly contentSpecs = new Map<string, HubContentSpec>();
  private readonly blobs: (blob: HubBlob) => HubBlob;
  private commitCount = 0;

  constructor(spec: RepoSpec, registerBlob: (blob: HubBlob) => HubBlob) {
    this.id = spec.id;
    this.author = spec.id.split('/')[0] ?? spec.id;
    this.private = spec.private ?? false;
    this.gated = spec.gated ?? false;
    this.xet = spec.xet ?? false;
    this.pipelineTag = spec.pipelineTag;
    this.libraryName = spec.libraryName;
    this.tags = spec.tags ?? [];
    this.objectId = sha1(`repo ${spec.id}`).slice(0, 24);
    this.createdAt = new Date(EPOCH_MS).toISOString();
    this.blobs = registerBlob;
    const first = this.makeCommit(undefined, 'initial commit', spec.files.map((file) => this.changeFor(file)), []);
    this.branches.set('main', first);
    for (const tag of spec.gitTags ?? []) this.gitTags.set(tag, first);
  }

  private changeFor(file: HubFileSpec): FileChange {
    return { path: file.path, content: file.content, ...(file.lfs === undefined ? {} : { lfs: file.lfs }) };
  }

  private makeCommit(parent: HubCommit | undefined, title: string, changes: readonly FileChange[], deletions: readonly string[]): HubCommit {
    const index = this.commitCount++;
    const date = new Date(EPOCH_MS + index * COMMIT_STEP_MS);
    const files = new Map(parent?.files ?? []);
    for (const path of deletions) files.delete(path);
    for (const change of changes) {
      const content = change.content ?? this.contentSpecs.get(change.path);
      if (content === undefined) throw new Error(`${this.id}: ${change.path} is a new file, so its content must be given`);
      this.contentSpecs.set(change.path, content);
      const lfs = change.lfs ?? (content.format !== 'text' || LFS_EXTENSIONS.test(change.path));
      const bytes = contentOf(content, `${this.id}:${change.path}:${index}`);
      files.set(change.path, this.blobs(new HubBlob({ repo: this.id, path: change.path }, bytes, lfs, this.xet, date)));
    }
    const listing = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, blob]) => `${blob.gitId} ${path}`);
    const id = sha1(`commit ${this.id}\nparent ${parent?.id ?? ''}\n${title}\n${index}\n${listing.join('\n')}`);
    const commit: HubCommit = { id, parent, title, date: date.toISOString(), files };
    this.commits.set(id, commit);
    return commit;
  }

  /** A new commit on a branch (its head moves), as a push would make. */
  commit(request: CommitRequest): HubCommit {
    const branch = request.branch ?? 'main';
    const head = this.branches.get(branch) ?? this.head();
    const title = request.title ?? `Update ${request.changes.map((change) => change.path).join(', ') || 'files'}`;
    const commit = this.makeCommit(head, title, request.changes, request.deletions ?? []);
    this.branches.set(branch, commit);
    return commit;
  }

  /** A pull request: `refs/pr/<n>`, one commit on top of `main`. Returns n. */
  openPullRequest(request: Omit<CommitRequest, 'branch'>): number {
    const commit = this.makeCommit(this.head(), request.title ?? 'Pull request', request.changes, request.deletions ?? []);
    this.pullRequests.push(commit);
    return this.pullRequests.length;
  }

  tag(name: string, revision = 'main'): void {
    const commit = this.resolve(revision);
    if (!commit) throw new Error(`${this.id}: no revision ${revision} to tag`);
    this.gitTags.set(name, commit);
  }

  head(): HubCommit {
    const main = this.branches.get('main');
    if (!main) throw new Error(`${this.id} has no main branch`);
    return main;
  }

  /** A branch, a tag, `refs/pr/<n>`, `refs/heads/<branch>`, `refs/tags/<tag>`, a full commit id, or `HEAD` (the
   *  default branch, which huggingface.js asks for when given no revision). */
  resolve(revision: string): HubCommit | undefined {
    if (revision === 'HEAD') return this.branches.get('main');
    const pr = /^refs\/pr\/(\d+)$/.exec(revision);
    if (pr) return this.pullRequests[Number(pr[1]) - 1];
    if (revision.startsWith('refs/heads/')) return this.branches.get(revision.slice('refs/heads/'.length));
    if (revision.startsWith('refs/tags/')) return this.gitTags.get(revision.slice('refs/tags/'.length));
    if (/^[0-9a-f]{40}$/.test(revision)) return this.commits.get(revision);
    return this.branches.get(revision) ?? this.gitTags.get(revision);
  }

  /** The newest commit at or before `from` that added or changed `path` (what `lastCommit` reports). */
  lastCommitChanging(from: HubCommit, path: string): HubCommit | undefined {
    let commit: HubCommit | undefined = from;
    while (commit) {
      const blob = commit.files.get(path);
      if (!blob) return undefined;
      if (commit.parent?.files.get(path) !== blob) return commit;
      commit = commit.parent;
    }
    return undefined;
  }

  /** Folder paths implied by the files of a commit. */
  directories(commit: HubCommit): Set<string> {
    const dirs = new Set<string>();
    for (const path of commit.files.keys()) {
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    return dirs;
  }
}

export class HubWorld {
  private readonly repos = new Map<string, HubRepo>();
  private readonly renamed = new Map<string, string>();
  private readonly blobsByKey = new Map<string, HubBlob>();

  constructor(spec: HubSpec) {
    for (const repoSpec of spec.repos) this.addRepo(repoSpec);
  }

  addRepo(spec: RepoSpec): HubRepo {
    if (this.repos.has(spec.id)) throw new Error(`repo ${spec.id} exists already`);
    if (!/^[\w.-]+\/[\w.-]+$/.test(spec.id)) throw new Error(`repo id ${spec.id} is not owner/name`);
    const repo = new HubRepo(spec, (blob) => this.register(blob));
    this.repos.set(spec.id, repo);
    for (const former of spec.formerIds ?? []) this.renamed.set(former, spec.id);
    return repo;
  }

  private register(blob: HubBlob): HubBlob {
    if (!blob.lfs) return blob;
    const existing = this.blobsByKey.get(blob.storageKey);
    if (existing) return existing;
    this.blobsByKey.set(blob.storageKey, blob);
    return blob;
  }

  repo(id: string): HubRepo | undefined {
    return this.repos.get(id);
  }

  /** The current id of a repo that was renamed from `id`. */
  renamedTo(id: string): string | undefined {
    return this.renamed.get(id);
  }

  /** Throws for an unknown repo: for tests and the control route, which name repos they made. */
  mustRepo(id: string): HubRepo {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`no repo ${id} in the simulated hub`);
    return repo;
  }

  blobByStorageKey(key: string): HubBlob | undefined {
    return this.blobsByKey.get(key);
  }
}
