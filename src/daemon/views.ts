import type { CatalogEntryJson, JobJson } from '../ipc/protocol.js';
import type { CatalogRow } from '../projections/catalog.projection.js';
import type { JobRow } from '../projections/queue.projection.js';
import type { OpenedDatabase } from '../store/database.js';
import { all, first } from '../store/query.js';

export function jobJson(r: JobRow): JobJson {
  return {
    id: r.id, state: r.state, modelId: r.model_id, versionId: r.version_id, fileId: r.file_id, fileName: r.file_name,
    path: r.path, sha256: r.sha256 ?? r.expected_sha256, bytesDone: r.bytes_done, bytesTotal: r.bytes_total, error: r.error,
    errorCode: r.error_code, modelName: r.model_name, versionName: r.version_name, type: r.model_type, baseModel: r.base_model,
    folder: r.folder, routingReason: r.routing_reason, attempts: r.attempts, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export function catalogJson(r: CatalogRow): CatalogEntryJson {
  return {
    path: r.path, folder: r.folder, sha256: r.sha256, sizeBytes: r.size_bytes, modelId: r.model_id, versionId: r.version_id,
    modelName: r.model_name, versionName: r.version_name, type: r.type, baseModel: r.base_model, origin: r.origin,
    update: null, routingReason: r.routing_reason, flagged: r.flagged,
  };
}

/** Typed reads of the views, built with kysely and run synchronously. */
export function viewQueries(db: OpenedDatabase) {
  const k = db.kysely;
  return {
    jobs: (includeFinished: boolean): JobRow[] =>
      all(db.sqlite, includeFinished
        ? k.selectFrom('view_jobs').selectAll().orderBy('seq')
        : k.selectFrom('view_jobs').selectAll().where('state', 'not in', ['completed', 'cancelled']).orderBy('seq')),
    /** A job by its id or an unambiguous prefix of it, as people type them. */
    jobByRef: (ref: string): JobRow[] =>
      all(db.sqlite, k.selectFrom('view_jobs').selectAll().where('id', '>=', ref).where('id', '<', `${ref}\uffff`).limit(2)),
    job: (id: string): JobRow | undefined => first(db.sqlite, k.selectFrom('view_jobs').selectAll().where('id', '=', id)),
    liveJobForFile: (versionId: number, fileId: number): JobRow | undefined =>
      first(db.sqlite, k.selectFrom('view_jobs').selectAll()
        .where('version_id', '=', versionId).where('file_id', '=', fileId)
        .where('state', 'not in', ['failed', 'cancelled']).orderBy('seq', 'desc')),
    catalog: (): CatalogRow[] => all(db.sqlite, k.selectFrom('view_catalog').selectAll().orderBy('path')),
    setting: (key: string): string | undefined =>
      first(db.sqlite, k.selectFrom('view_settings').select('value').where('key', '=', key))?.value,
  };
}
export type ViewQueries = ReturnType<typeof viewQueries>;
