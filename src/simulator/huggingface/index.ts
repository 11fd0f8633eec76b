// A faithful stand-in for the Hugging Face Hub on 127.0.0.1: the hub host (huggingface.co: API and `resolve`) and
// a storage host (its LFS/Xet bridge) on two ports, so the redirect between them is cross-origin as in production.
// Storage, Range handling, signing and fault injection are the CivitAI simulator's own.
import { createServer } from 'node:http';
import { FaultBook, type Fault } from '../faults.js';
import { closeServer, guarded, listen, recorder, type RecordedRequest } from '../server.js';
import { UrlSigner } from '../signing.js';
import { handleStorageRequest, type StorageCatalog } from '../storage-host.js';
import { defaultHub } from './default-hub.js';
import { handleHubRequest } from './hub-host.js';
import type { HubSpec, TokenSpec } from './hub-spec.js';
import { HubWorld, type CommitRequest, type HubCommit } from './hub-world.js';

export { defaultHub, HUB_FILES, HUB_IDS } from './default-hub.js';
export type { HubContentSpec, HubFileSpec, HubSpec, RepoSpec, TokenSpec } from './hub-spec.js';
export { HubBlob, HubRepo, HubWorld, lfsPointer, type CommitRequest, type FileChange, type HubCommit } from './hub-world.js';

export type HubRecordedRequest = RecordedRequest<'hub' | 'storage'>;

export interface HubSimulator {
  /** http://127.0.0.1:<port>, standing in for https://huggingface.co (HF_ENDPOINT). */
  readonly hubUrl: string;
  /** http://127.0.0.1:<other port>, standing in for the LFS/Xet storage bridge. */
  readonly storageUrl: string;
  readonly world: HubWorld;
  /** Every request to either host, in arrival order. */
  readonly requests: readonly HubRecordedRequest[];
  /** Faults scope by `repo` and `path`; targets: `api` (hub API), `download` (resolve), `storage`. */
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** A new commit on a branch of a repo, as a push would make. */
  commit(repo: string, request: CommitRequest): HubCommit;
  /** The exact bytes of a file at a revision (default `main`); `end` is exclusive. */
  fileBytes(repo: string, path: string, revision?: string, start?: number, end?: number): Buffer;
  close(): Promise<void>;
}

export interface HubSimulatorOptions {
  /** Default: defaultHub(). */
  hub?: HubSpec;
  /** The tokens the hub knows (`Authorization: Bearer hf_…`). */
  tokens?: readonly TokenSpec[];
  /** Expiry of the storage URLs `resolve` redirects to (default 1 h). */
  signedUrlTtlMs?: number;
  /** Entries per page of the tree API (default 1000). */
  treePageSize?: number;
  hubPort?: number;
  storagePort?: number;
}

const HOUR_MS = 3_600_000;

export async function startHubSimulator(options: HubSimulatorOptions = {}): Promise<HubSimulator> {
  const world = new HubWorld(options.hub ?? defaultHub());
  const faults = new FaultBook();
  const requests: HubRecordedRequest[] = [];
  const storageServer = createServer();
  const hubServer = createServer();
  const storageUrl = await listen(storageServer, options.storagePort ?? 0);
  const hubUrl = await listen(hubServer, options.hubPort ?? 0).catch(async (error: unknown) => {
    await closeServer(storageServer);
    throw error;
  });
  const signer = new UrlSigner(storageUrl);
  const catalog: StorageCatalog = {
    lookup(key) {
      const blob = world.blobByStorageKey(key);
      return blob && { object: blob, subject: { target: 'storage', repo: blob.repo, path: blob.path } };
    },
  };
  const hubDeps = {
    world,
    faults,
    signer,
    tokens: options.tokens ?? [],
    hubUrl,
    storageUrl,
    signedUrlTtlMs: options.signedUrlTtlMs ?? HOUR_MS,
    treePageSize: options.treePageSize ?? 1000,
  };
  const recordStorage = recorder(requests, 'storage');
  const recordHub = recorder(requests, 'hub');
  storageServer.on('request', guarded('hub simulator', (req, res) => {
    recordStorage(req);
    return handleStorageRequest({ catalog, signer, faults, label: 'hub simulator' }, req, res);
  }));
  hubServer.on('request', guarded('hub simulator', (req, res) => {
    recordHub(req);
    return handleHubRequest(hubDeps, req, res);
  }));

  return {
    hubUrl,
    storageUrl,
    world,
    requests,
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    commit: (repo, request) => world.mustRepo(repo).commit(request),
    fileBytes(repo, path, revision = 'main', start = 0, end) {
      const blob = world.mustRepo(repo).resolve(revision)?.files.get(path);
      if (!blob) throw new Error(`no ${path} at ${revision} of ${repo} in the simulated hub`);
      return blob.content.read(start, end ?? blob.size);
    },
    close: async () => {
      await Promise.all([closeServer(hubServer), closeServer(storageServer)]);
    },
  };
}
