// Who a hash is on CivitAI: first from other tools' sidecars beside the file (one version lookup, no hash
// search), then by bulk hash lookup, falling back to one lookup per hash when the bulk endpoint fails.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ResultAsync } from 'neverthrow';
import type { CivitaiClient } from '../../civitai/client.js';
import type { CivitaiError } from '../../civitai/errors.js';
import type { ModelVersion } from '../../civitai/schemas.js';
import { fileSha256 } from '../../civitai/select.js';
import type { Log } from '../../lib/log.js';
import { readSidecarIds } from '../../sidecar/sidecar-file.js';

export interface IdentifyRequest {
  readonly sha256: string;
  /** Absolute paths of the files with this hash, where sidecars may sit. */
  readonly paths: readonly string[];
}

export interface Identification {
  readonly sha256: string;
  readonly version: ModelVersion;
  readonly source: 'civitai' | 'sidecar';
}

export interface IdentifyOutcome {
  readonly identified: readonly Identification[];
  /** Hashes CivitAI answered it does not know. Hashes whose lookup failed are in neither list: asked next scan. */
  readonly unknown: readonly string[];
}

/** The bulk endpoint's limit per request. */
export const BULK_LOOKUP_SIZE = 100;

/** Each SHA-256 a version's files carry → that version; the first version listed wins a shared hash. */
export function versionsBySha256(versions: readonly ModelVersion[]): Map<string, ModelVersion> {
  const map = new Map<string, ModelVersion>();
  for (const version of versions) {
    for (const file of version.files) {
      const sha = fileSha256(file);
      if (sha !== undefined && !map.has(sha)) map.set(sha, version);
    }
  }
  return map;
}

/**
 * Asks CivitAI until it fails with anything but "not found" (after the client's own retries): then the rest of
 * this scan asks nothing more, and the hashes not yet answered are asked next scan.
 */
function createAsker(client: CivitaiClient, log: Log) {
  let unreachable = false;
  const ask = async <T>(question: () => ResultAsync<T, CivitaiError>): Promise<T | 'not-found' | 'failed'> => {
    if (unreachable) return 'failed';
    const answer = await question();
    if (answer.isOk()) return answer.value;
    if (answer.error.code === 'NOT_FOUND') return 'not-found';
    unreachable = true;
    log(`scan: CivitAI lookups failed (${answer.error.message}); files not yet identified are looked up next scan`);
    return 'failed';
  };
  return { ask, unreachable: () => unreachable };
}

type Asker = ReturnType<typeof createAsker>;

async function fromSidecars(asker: Asker, client: CivitaiClient, request: IdentifyRequest): Promise<ModelVersion | undefined> {
  for (const path of request.paths) {
    const ids = await readSidecarIds(path);
    const versionId = ids.versionId;
    // A sidecar naming another hash describes other bytes (the model file was replaced beside it).
    if (versionId === undefined || (ids.sha256 !== undefined && ids.sha256 !== request.sha256)) continue;
    const version = await asker.ask(() => client.getModelVersion(versionId));
    if (typeof version !== 'string') return version;
  }
  return undefined;
}

export async function identifyHashes(
  deps: { client: CivitaiClient; log: Log; onProgress?: (done: number) => void },
  requests: readonly IdentifyRequest[],
): Promise<IdentifyOutcome> {
  const { client, log } = deps;
  const asker = createAsker(client, log);
  const identified: Identification[] = [];
  const unknown: string[] = [];
  const rest: string[] = [];
  let done = 0;
  for (const request of requests) {
    const version = await fromSidecars(asker, client, request);
    if (version) {
      identified.push({ sha256: request.sha256, version, source: 'sidecar' });
      deps.onProgress?.(++done);
    } else {
      rest.push(request.sha256);
    }
  }
  for (let at = 0; at < rest.length && !asker.unreachable(); at += BULK_LOOKUP_SIZE) {
    const chunk = rest.slice(at, at + BULK_LOOKUP_SIZE);
    const bulk = await client.getVersionsByHashes(chunk);
    if (bulk.isOk()) {
      const bySha = versionsBySha256(bulk.value);
      for (const sha256 of chunk) {
        const version = bySha.get(sha256);
        if (version) identified.push({ sha256, version, source: 'civitai' });
        else unknown.push(sha256);
      }
    } else {
      log(`scan: the bulk hash lookup failed (${bulk.error.message}); looking up ${chunk.length} hashes one by one`);
      for (const sha256 of chunk) {
        const version = await asker.ask(() => client.getVersionByHash(sha256));
        if (version === 'failed') break;
        if (version === 'not-found') unknown.push(sha256);
        else identified.push({ sha256, version, source: 'civitai' });
      }
    }
    done += chunk.length;
    deps.onProgress?.(done);
    await yieldToEventLoop();
  }
  return { identified, unknown };
}
