import type { DomainStoredEvent } from '../events/index.js';
import { table, type Projection, type ViewWriter } from './projection.js';
import { jobsTable } from './queue.projection.js';

// A type alias, not an interface: aliases are indexable, which the generic view writer needs.
export type CatalogRow = {
  /** The key: the path, prefixed with the host in a log several hosts share (see `catalogEntry`). */
  entry: string;
  /** The host whose disk holds the file; null in a single host's log. */
  host: string | null;
  path: string;
  folder: string;
  sha256: string;
  size_bytes: number;
  model_id: number | null;
  version_id: number | null;
  model_name: string | null;
  version_name: string | null;
  type: string | null;
  base_model: string | null;
  origin: 'download' | 'scan';
  routing_reason: string | null;
  flagged: string | null;
  job_id: string | null;
  placed_at: string;
  /** 1 when the file is gone from disk (deleted, or its drive is offline); its metadata is kept. */
  missing: number;
  /** Other bytes verification found at this path (the recorded SHA-256 stays: it is what should be there); null when intact. */
  found_sha256: string | null;
  /** Where a downloaded file came from (civitai, huggingface); null for files a scan found. */
  source: string | null;
  /** A Hugging Face file: its repo, the commit its bytes are from, its path in the repo. */
  repo: string | null;
  revision: string | null;
  repo_path: string | null;
};

export const catalogTable = table<CatalogRow>('view_catalog', 'entry', [
  'entry', 'host', 'path', 'folder', 'sha256', 'size_bytes', 'model_id', 'version_id', 'model_name', 'version_name', 'type',
  'base_model', 'origin', 'routing_reason', 'flagged', 'job_id', 'placed_at', 'missing', 'found_sha256',
  'source', 'repo', 'revision', 'repo_path',
]);

/** A catalog key: the path alone in a single host's log, so such a log reads as it always did. */
export function catalogEntry(host: string | null, path: string): string {
  return host === null ? path : `${host}:${path}`;
}

/**
 * Models on disk, downloaded or found by a scan. A placed download takes its CivitAI facts from the job's row,
 * which the queue projection has already folded for the same event (projections run in registration order, queue
 * first); a scanned file's identity lives in the library projection and is joined when read.
 */
export const catalogProjection: Projection = {
  name: 'catalog',
  version: 5,
  tables: [catalogTable],
  handles: new Set(['download.placed', 'file.discovered', 'file.moved', 'file.missing', 'file.returned', 'file.verified']),
  apply(view: ViewWriter, e: DomainStoredEvent): void {
    // A file is on the disk of the host that recorded the fact about it.
    const recordedBy = e.metadata.host ?? null;
    const at = (path: string, host = recordedBy) => ({ entry: catalogEntry(host, path), host, path });
    const get = (path: string) => view.get(catalogTable, catalogEntry(recordedBy, path));
    switch (e.type) {
      case 'download.placed': {
        const jobId = e.streamId.slice('download-'.length);
        const job = view.get(jobsTable, jobId);
        view.put(catalogTable, {
          ...at(e.data.path, job?.host ?? recordedBy), folder: e.data.folder, sha256: e.data.sha256, size_bytes: e.data.sizeBytes,
          model_id: job?.model_id ?? null, version_id: job?.version_id ?? null, model_name: job?.model_name ?? null,
          version_name: job?.version_name ?? null, type: job?.model_type ?? null, base_model: job?.base_model ?? null,
          origin: 'download', routing_reason: job?.routing_reason ?? null, flagged: job?.flagged ?? null,
          job_id: jobId, placed_at: e.recordedAt, missing: 0, found_sha256: null,
          source: job?.source ?? null, repo: job?.repo ?? null, revision: job?.revision ?? null, repo_path: job?.repo_path ?? null,
        });
        return;
      }
      case 'file.discovered': {
        const known = get(e.data.path);
        if (known && known.sha256 === e.data.sha256) return view.put(catalogTable, { ...known, missing: 0, found_sha256: null });
        view.put(catalogTable, {
          ...at(e.data.path), folder: e.data.folder, sha256: e.data.sha256, size_bytes: e.data.sizeBytes,
          model_id: null, version_id: null, model_name: null, version_name: null, type: null, base_model: null,
          origin: 'scan', routing_reason: null, flagged: null, job_id: null, placed_at: e.recordedAt, missing: 0, found_sha256: null,
          source: null, repo: null, revision: null, repo_path: null,
        });
        return;
      }
      case 'file.moved': {
        const row = get(e.data.from);
        if (!row) return;
        view.remove(catalogTable, row.entry);
        view.put(catalogTable, { ...row, ...at(e.data.to, row.host), folder: e.data.folder ?? row.folder, missing: 0 });
        return;
      }
      case 'file.missing': {
        const row = get(e.data.path);
        if (row) view.put(catalogTable, { ...row, missing: 1 });
        return;
      }
      case 'file.returned': {
        // A scan reports a return only for the recorded bytes.
        const row = get(e.data.path);
        if (row) view.put(catalogTable, { ...row, missing: 0, found_sha256: null });
        return;
      }
      case 'file.verified': {
        // A changed file keeps its recorded hash (that is what should be there) and notes the bytes found instead.
        const row = get(e.data.path);
        if (!row) return;
        if (e.data.status === 'missing') view.put(catalogTable, { ...row, missing: 1 });
        else view.put(catalogTable, { ...row, missing: 0, found_sha256: e.data.status === 'changed' ? e.data.actual : null });
        return;
      }
      default:
        return;
    }
  },
};
