// A faithful stand-in for CivitAI on 127.0.0.1: an API host (civitai.com) and a storage host (its R2/B2
// buckets) on two ports, so the redirect between them is cross-origin as in production.
import { createServer } from 'node:http';
import { handleApiRequest } from './api-host.js';
import { defaultWorld } from './default-world.js';
import { FaultBook, type Fault } from './faults.js';
import { UrlSigner } from './signing.js';
import { handleStorageRequest, type StorageCatalog } from './storage-host.js';
import { closeServer as close, guarded, listen, recorder, type RecordedRequest as HostRequest } from './server.js';
import { World } from './world.js';
import type { WorldSpec } from './world-spec.js';

export { BIG_FILE_IDS, bigFileModel, DEFAULT_IDS, defaultWorld } from './default-world.js';
export type { Fault, FaultTarget } from './faults.js';
export type { ContentSpec } from './fixture-kinds.js';
export { SimFile, SimModel, SimVersion, World, type PublishOptions, type ReplaceFileOptions } from './world.js';
export type { FileSpec, ImageSpec, ModelSpec, VersionSpec, WorldSpec } from './world-spec.js';

export type RecordedRequest = HostRequest<'api' | 'storage'>;

export interface Simulator {
  /** http://127.0.0.1:<port>, standing in for https://civitai.com. */
  readonly apiUrl: string;
  /** http://127.0.0.1:<other port>, standing in for the R2/B2 storage host. */
  readonly storageUrl: string;
  readonly world: World;
  /** Applies to the next `times` matching requests (default 1; Infinity for all). */
  addFault(fault: Fault): void;
  clearFaults(): void;
  /**
   * Takes a host off the network for `ms`: its connections are cut and new ones refused (ECONNREFUSED), then it
   * listens again on the same port. Resolves when it is back.
   */
  outage(host: 'api' | 'storage', ms: number): Promise<void>;
  /** Every request to either host, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** The exact bytes the storage host serves for a file; `end` is exclusive (Buffer#subarray style). */
  fileBytes(fileId: number, start?: number, end?: number): Buffer;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  /** Default: defaultWorld(), one model per common kind. */
  world?: WorldSpec;
  /** The one valid key (Authorization: Bearer <key> or ?token=). */
  apiKey?: string;
  /** Expiry of storage URLs minted by /api/download/models/:id (default 1 h). */
  signedUrlTtlMs?: number;
  /** Every download needs the key, as on CivitAI since 2024. Default: true when `apiKey` is set. Versions with
   *  `requireAuth` always need it. */
  requireAuthForDownloads?: boolean;
  /** Fixed ports (default: random free ports). */
  apiPort?: number;
  storagePort?: number;
}

const HOUR_MS = 3_600_000;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const world = new World(options.world ?? defaultWorld());
  const faults = new FaultBook();
  const requests: RecordedRequest[] = [];
  const storageServer = createServer();
  const apiServer = createServer();
  const storageUrl = await listen(storageServer, options.storagePort ?? 0);
  const apiUrl = await listen(apiServer, options.apiPort ?? 0).catch(async (error: unknown) => {
    await close(storageServer);
    throw error;
  });
  const signer = new UrlSigner(storageUrl);
  const apiDeps = {
    world,
    faults,
    signer,
    apiUrl,
    apiKey: options.apiKey,
    requireAuthForDownloads: options.requireAuthForDownloads ?? options.apiKey !== undefined,
    signedUrlTtlMs: options.signedUrlTtlMs ?? HOUR_MS,
  };
  const storageCatalog: StorageCatalog = {
    lookup(key) {
      const file = world.fileByStorageKey(key);
      return file && { object: file, subject: { target: 'storage', fileId: file.id, versionId: file.version.id } };
    },
  };
  const recordStorage = recorder(requests, 'storage');
  const recordApi = recorder(requests, 'api');
  storageServer.on('request', guarded('civitai simulator', (req, res) => {
    recordStorage(req);
    return handleStorageRequest({ catalog: storageCatalog, signer, faults, label: 'civitai simulator' }, req, res);
  }));
  apiServer.on('request', guarded('civitai simulator', (req, res) => {
    recordApi(req);
    return handleApiRequest(apiDeps, req, res);
  }));

  return {
    apiUrl,
    storageUrl,
    world,
    requests,
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    outage: async (host, ms) => {
      const [server, url] = host === 'api' ? [apiServer, apiUrl] : [storageServer, storageUrl];
      await close(server);
      await new Promise((resolve) => setTimeout(resolve, ms));
      await listen(server, Number(new URL(url).port));
    },
    fileBytes(fileId, start = 0, end) {
      const file = world.file(fileId);
      if (!file) throw new Error(`no file ${fileId} in the simulated world`);
      return file.content.read(start, end ?? file.sizeBytes);
    },
    close: async () => {
      await Promise.all([close(apiServer), close(storageServer)]);
    },
  };
}
