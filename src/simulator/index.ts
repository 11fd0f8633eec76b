// A faithful stand-in for CivitAI on 127.0.0.1: an API host (civitai.com) and a storage host (its R2/B2
// buckets) on two ports, so the redirect between them is cross-origin as in production.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApiRequest } from './api-host.js';
import { defaultWorld } from './default-world.js';
import { FaultBook, type Fault } from './faults.js';
import { UrlSigner } from './signing.js';
import { handleStorageRequest } from './storage-host.js';
import { World } from './world.js';
import type { WorldSpec } from './world-spec.js';

export { BIG_FILE_IDS, bigFileModel, DEFAULT_IDS, defaultWorld } from './default-world.js';
export type { Fault, FaultTarget } from './faults.js';
export type { ContentSpec } from './fixture-kinds.js';
export { SimFile, SimModel, SimVersion, World, type PublishOptions, type ReplaceFileOptions } from './world.js';
export type { FileSpec, ImageSpec, ModelSpec, VersionSpec, WorldSpec } from './world-spec.js';

export interface RecordedRequest {
  readonly host: 'api' | 'storage';
  readonly method: string;
  /** The request target as received: path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

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

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function recorder(requests: RecordedRequest[], host: RecordedRequest['host']) {
  return (req: IncomingMessage): void => {
    requests.push({ host, method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } });
  };
}

/** An unexpected exception in a handler is a simulator bug: answer 500 and say so, rather than hang. */
function guarded(handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    Promise.resolve()
      .then(() => handle(req, res))
      .catch((error: unknown) => {
        console.error('civitai simulator: handler failed', error);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('simulator bug');
      });
  };
}

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
  const recordStorage = recorder(requests, 'storage');
  const recordApi = recorder(requests, 'api');
  storageServer.on('request', guarded((req, res) => {
    recordStorage(req);
    return handleStorageRequest({ world, signer, faults }, req, res);
  }));
  apiServer.on('request', guarded((req, res) => {
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
