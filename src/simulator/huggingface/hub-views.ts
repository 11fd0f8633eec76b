// The JSON the hub's API answers with, built from the simulated state: model info (`/api/models/<repo>`, with
// `blobs` and `expand`), paths-info entries and tree entries. Pure.
import { createHash } from 'node:crypto';
import type { HubBlob, HubCommit, HubRepo } from './hub-world.js';

/** Every key `/api/models/<repo>` may answer with; `expand` picks among them. */
const MODEL_INFO_KEYS = [
  'author', 'cardData', 'config', 'createdAt', 'disabled', 'downloads', 'downloadsAllTime', 'gated', 'gitalyUid',
  'lastModified', 'library_name', 'likes', 'model-index', 'pipeline_tag', 'private', 'safetensors', 'sha', 'siblings',
  'spaces', 'tags', 'transformersInfo', 'usedStorage',
] as const;

export interface ModelInfoOptions {
  /** `?blobs=true`: siblings carry size, blobId and lfs. */
  readonly blobs: boolean;
  /** `?expand=...`: only these keys (with `_id` and `id`). Empty: the default set. */
  readonly expand: readonly string[];
}

function numberFrom(text: string, modulo: number): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0) % modulo;
}

function sibling(path: string, blob: HubBlob, withBlobs: boolean): Record<string, unknown> {
  if (!withBlobs) return { rfilename: path };
  return {
    rfilename: path,
    blobId: blob.gitId,
    size: blob.size,
    ...(blob.lfs ? { lfs: { sha256: blob.sha256, size: blob.size, pointerSize: Buffer.byteLength(blob.pointer) } } : {}),
  };
}

export function modelInfo(repo: HubRepo, commit: HubCommit, options: ModelInfoOptions): Record<string, unknown> {
  const paths = [...commit.files.keys()].sort();
  const all: Record<string, unknown> = {
    author: repo.author,
    cardData: {},
    config: {},
    createdAt: repo.createdAt,
    disabled: false,
    downloads: numberFrom(`${repo.id} downloads`, 100_000),
    downloadsAllTime: numberFrom(`${repo.id} downloads all`, 1_000_000),
    gated: repo.gated,
    gitalyUid: createHash('sha256').update(repo.id).digest('hex'),
    lastModified: commit.date,
    ...(repo.libraryName !== undefined ? { library_name: repo.libraryName } : {}),
    likes: numberFrom(`${repo.id} likes`, 5_000),
    ...(repo.pipelineTag !== undefined ? { pipeline_tag: repo.pipelineTag } : {}),
    private: repo.private,
    sha: commit.id,
    siblings: paths.map((path) => sibling(path, commit.files.get(path) as HubBlob, options.blobs)),
    spaces: [],
    tags: [...repo.tags],
    usedStorage: [...commit.files.values()].reduce((sum, blob) => sum + blob.size, 0),
  };
  const head = { _id: repo.objectId, id: repo.id };
  if (options.expand.length > 0) {
    const picked = options.expand.filter((key) => key in all);
    return { ...head, ...Object.fromEntries(picked.map((key) => [key, all[key]])) };
  }
  const { cardData: _cardData, config: _config, downloadsAllTime: _all, gitalyUid: _uid, ...defaults } = all;
  return { ...head, modelId: repo.id, ...defaults };
}

/** Whether `expand` names only keys the hub knows (it answers 400 otherwise). */
export function unknownExpandKey(expand: readonly string[]): string | undefined {
  return expand.find((key) => !(MODEL_INFO_KEYS as readonly string[]).includes(key));
}

export interface EntryOptions {
  /** `expand`: last commit and security status. */
  readonly expand: boolean;
}

export function fileEntry(repo: HubRepo, commit: HubCommit, path: string, blob: HubBlob, options: EntryOptions): Record<string, unknown> {
  const last = options.expand ? repo.lastCommitChanging(commit, path) : undefined;
  return {
    type: 'file',
    oid: blob.gitId,
    size: blob.size,
    ...(blob.lfs ? { lfs: { oid: blob.sha256, size: blob.size, pointerSize: Buffer.byteLength(blob.pointer) } } : {}),
    ...(blob.lfs && blob.xetHash !== undefined ? { xetHash: blob.xetHash } : {}),
    path,
    ...(last ? { lastCommit: { id: last.id, title: last.title, date: last.date } } : {}),
    ...(options.expand ? { securityFileStatus: { status: 'safe' } } : {}),
  };
}

export function directoryEntry(commit: HubCommit, path: string): Record<string, unknown> {
  const tree = [...commit.files.entries()].filter(([file]) => file.startsWith(`${path}/`)).map(([file, blob]) => `${blob.gitId} ${file}`);
  return { type: 'directory', oid: createHash('sha1').update(`tree ${path}\n${tree.join('\n')}`).digest('hex'), size: 0, path };
}

/** The entries of a folder ('' = the root), folders first, each group by name. */
export function treeEntries(repo: HubRepo, commit: HubCommit, folder: string, recursive: boolean, options: EntryOptions): Record<string, unknown>[] | undefined {
  const prefix = folder === '' ? '' : `${folder}/`;
  const directories = repo.directories(commit);
  if (folder !== '' && !directories.has(folder)) return undefined;
  const inside = (path: string): boolean => path.startsWith(prefix) && (recursive || !path.slice(prefix.length).includes('/'));
  const dirs = [...directories].filter(inside).sort();
  const files = [...commit.files.keys()].filter(inside).sort();
  return [
    ...dirs.map((path) => directoryEntry(commit, path)),
    ...files.map((path) => fileEntry(repo, commit, path, commit.files.get(path) as HubBlob, options)),
  ];
}
