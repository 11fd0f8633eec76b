import type { DomainStoredEvent } from '../events/index.js';
import { table, type Projection, type ViewWriter } from './projection.js';
import { jobsTable } from './queue.projection.js';

export type HashCacheRow = {
  key: string;
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtime_ms: number;
  sha256: string;
  checked_at_ms: number;
};

/** Who a file is on CivitAI (known = 1), or that CivitAI did not know it when last asked (known = 0). */
export type IdentityRow = {
  sha256: string;
  known: number;
  model_id: number | null;
  version_id: number | null;
  model_name: string | null;
  version_name: string | null;
  type: string | null;
  base_model: string | null;
  source: string | null;
  checked_at: string;
};

export const hashCacheTable = table<HashCacheRow>('view_hash_cache', 'key', ['key', 'path', 'dev', 'ino', 'size', 'mtime_ms', 'sha256', 'checked_at_ms']);
export const identityTable = table<IdentityRow>('view_identity', 'sha256', [
  'sha256', 'known', 'model_id', 'version_id', 'model_name', 'version_name', 'type', 'base_model', 'source', 'checked_at',
]);

/** The same key the scan's hash cache uses: device, inode, size and mtime. */
export const hashCacheKeyOf = (f: { dev: number; ino: number; size: number; mtimeMs: number }): string => `${f.dev}:${f.ino}:${f.size}:${f.mtimeMs}`;

export const libraryProjection: Projection = {
  name: 'library',
  version: 1,
  tables: [hashCacheTable, identityTable],
  handles: new Set(['file.hashed', 'file.identified', 'file.unidentified', 'download.placed']),
  apply(view: ViewWriter, e: DomainStoredEvent): void {
    switch (e.type) {
      case 'file.hashed': {
        const d = e.data;
        view.put(hashCacheTable, { key: hashCacheKeyOf(d), path: d.path, dev: d.dev, ino: d.ino, size: d.size, mtime_ms: d.mtimeMs, sha256: d.sha256, checked_at_ms: d.checkedAtMs });
        return;
      }
      case 'file.identified': {
        const d = e.data;
        view.put(identityTable, {
          sha256: d.sha256, known: 1, model_id: d.modelId, version_id: d.versionId, model_name: d.modelName,
          version_name: d.versionName, type: d.modelType, base_model: d.baseModel, source: d.source, checked_at: e.recordedAt,
        });
        return;
      }
      case 'file.unidentified': {
        // A negative answer never erases a positive one.
        if (view.get(identityTable, e.data.sha256)?.known === 1) return;
        view.put(identityTable, {
          sha256: e.data.sha256, known: 0, model_id: null, version_id: null, model_name: null, version_name: null,
          type: null, base_model: null, source: null, checked_at: e.recordedAt,
        });
        return;
      }
      case 'download.placed': {
        // A verified download is identified by construction.
        const job = view.get(jobsTable, e.streamId.slice('download-'.length));
        if (!job?.model_id || !job.version_id) return;
        view.put(identityTable, {
          sha256: e.data.sha256, known: 1, model_id: job.model_id, version_id: job.version_id, model_name: job.model_name,
          version_name: job.version_name, type: job.model_type, base_model: job.base_model, source: 'download', checked_at: e.recordedAt,
        });
        return;
      }
      default:
        return;
    }
  },
};
