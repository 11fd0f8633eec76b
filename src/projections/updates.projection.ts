import type { DomainStoredEvent } from '../events/index.js';
import { table, type Projection, type ViewWriter } from './projection.js';

export type UpdateRow = {
  model_id: number;
  installed_version_id: number;
  latest_version_id: number;
  latest_version_name: string;
  published_at: string | null;
  base_model: string | null;
  discovered_at: string;
};
export type UpdateIgnoreRow = { key: string; model_id: number; version_id: number | null };
export type FileReplacementRow = {
  version_id: number;
  model_id: number;
  file_id: number;
  installed_sha256: string;
  remote_sha256: string;
  detected_at: string;
};
export type NotificationRow = { key: string; kind: string; sent_at: string };

export const updatesTable = table<UpdateRow>('view_updates', 'model_id', [
  'model_id', 'installed_version_id', 'latest_version_id', 'latest_version_name', 'published_at', 'base_model', 'discovered_at',
]);
export const updateIgnoresTable = table<UpdateIgnoreRow>('view_update_ignores', 'key', ['key', 'model_id', 'version_id']);
export const fileReplacementsTable = table<FileReplacementRow>('view_file_replacements', 'version_id', [
  'version_id', 'model_id', 'file_id', 'installed_sha256', 'remote_sha256', 'detected_at',
]);
export const notificationsTable = table<NotificationRow>('view_notifications', 'key', ['key', 'kind', 'sent_at']);

export const ignoreKey = (modelId: number, versionId: number | null): string => (versionId === null ? `model:${modelId}` : `version:${versionId}`);

/**
 * Newer versions found upstream, what the user chose to ignore, files CivitAI replaced, and notifications already
 * sent. Whether an update still applies (installed since, or ignored) is decided when it is read.
 */
export const updatesProjection: Projection = {
  name: 'updates',
  version: 1,
  tables: [updatesTable, updateIgnoresTable, fileReplacementsTable, notificationsTable],
  handles: new Set(['model.version_discovered', 'update.ignored', 'model.file_replaced', 'notification.sent']),
  apply(view: ViewWriter, e: DomainStoredEvent): void {
    switch (e.type) {
      case 'model.version_discovered': {
        const held = view.get(updatesTable, String(e.data.modelId));
        if (held && held.latest_version_id > e.data.versionId) return;
        view.put(updatesTable, {
          model_id: e.data.modelId, installed_version_id: e.data.installedVersionId, latest_version_id: e.data.versionId,
          latest_version_name: e.data.versionName, published_at: e.data.publishedAt, base_model: e.data.baseModel, discovered_at: e.recordedAt,
        });
        return;
      }
      case 'update.ignored':
        view.put(updateIgnoresTable, { key: ignoreKey(e.data.modelId, e.data.versionId), model_id: e.data.modelId, version_id: e.data.versionId });
        return;
      case 'model.file_replaced':
        view.put(fileReplacementsTable, {
          version_id: e.data.versionId, model_id: e.data.modelId, file_id: e.data.fileId, installed_sha256: e.data.installedSha256,
          remote_sha256: e.data.remoteSha256, detected_at: e.recordedAt,
        });
        return;
      case 'notification.sent':
        view.put(notificationsTable, { key: e.data.key, kind: e.data.kind, sent_at: e.recordedAt });
        return;
      default:
        return;
    }
  },
};
