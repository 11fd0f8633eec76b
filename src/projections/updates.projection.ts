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
/** A Hugging Face file whose branch moved on to other bytes, keyed `<repo>@<branch>/<path>`. */
export type HfUpdateRow = {
  key: string;
  repo: string;
  repo_path: string;
  branch: string;
  installed_commit: string;
  installed_sha256: string;
  latest_commit: string | null;
  latest_sha256: string | null;
  latest_git_blob: string | null;
  size_bytes: number;
  title: string | null;
  committed_at: string | null;
  discovered_at: string;
};

export const updatesTable = table<UpdateRow>('view_updates', 'model_id', [
  'model_id', 'installed_version_id', 'latest_version_id', 'latest_version_name', 'published_at', 'base_model', 'discovered_at',
]);
export const updateIgnoresTable = table<UpdateIgnoreRow>('view_update_ignores', 'key', ['key', 'model_id', 'version_id']);
export const fileReplacementsTable = table<FileReplacementRow>('view_file_replacements', 'version_id', [
  'version_id', 'model_id', 'file_id', 'installed_sha256', 'remote_sha256', 'detected_at',
]);
export const notificationsTable = table<NotificationRow>('view_notifications', 'key', ['key', 'kind', 'sent_at']);
export const hfUpdatesTable = table<HfUpdateRow>('view_hf_updates', 'key', [
  'key', 'repo', 'repo_path', 'branch', 'installed_commit', 'installed_sha256', 'latest_commit', 'latest_sha256', 'latest_git_blob',
  'size_bytes', 'title', 'committed_at', 'discovered_at',
]);

export const hfUpdateKey = (repo: string, branch: string, path: string): string => `${repo}@${branch}/${path}`;

export const ignoreKey = (modelId: number, versionId: number | null): string => (versionId === null ? `model:${modelId}` : `version:${versionId}`);

/**
 * Newer versions found upstream, what the user chose to ignore, files CivitAI replaced, and notifications already
 * sent. Whether an update still applies (installed since, or ignored) is decided when it is read.
 */
export const updatesProjection: Projection = {
  name: 'updates',
  version: 2,
  tables: [updatesTable, updateIgnoresTable, fileReplacementsTable, notificationsTable, hfUpdatesTable],
  handles: new Set(['model.version_discovered', 'update.ignored', 'model.file_replaced', 'notification.sent', 'huggingface.file_changed']),
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
      case 'huggingface.file_changed': {
        const d = e.data;
        view.put(hfUpdatesTable, {
          key: hfUpdateKey(d.repo, d.branch, d.path), repo: d.repo, repo_path: d.path, branch: d.branch, installed_commit: d.installedCommit,
          installed_sha256: d.installedSha256, latest_commit: d.latestCommit, latest_sha256: d.sha256, latest_git_blob: d.gitBlobId,
          size_bytes: d.sizeBytes, title: d.title, committed_at: d.committedAt, discovered_at: e.recordedAt,
        });
        return;
      }
      default:
        return;
    }
  },
};
