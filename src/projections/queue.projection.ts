import { statusAfter, type JobState } from '../events/download.decider.js';
import type { DomainStoredEvent } from '../events/index.js';
import { table, type Projection, type ViewWriter } from './projection.js';

export type { JobState };

// A type alias, not an interface: aliases are indexable, which the generic view writer needs.
export type JobRow = {
  id: string;
  seq: number;
  state: JobState;
  input: string;
  model_id: number | null;
  version_id: number | null;
  file_id: number | null;
  file_name: string | null;
  model_name: string | null;
  version_name: string | null;
  model_type: string | null;
  base_model: string | null;
  expected_sha256: string | null;
  sha256: string | null;
  path: string | null;
  bytes_done: number;
  bytes_total: number | null;
  attempts: number;
  /** When a waiting job tries again (ISO). */
  next_attempt_at: string | null;
  /** 1 while the whole file is on disk and hashed: a restarted attempt goes on with verifying. */
  transferred: number;
  error: string | null;
  error_code: string | null;
  folder: string | null;
  routing_reason: string | null;
  flagged: string | null;
  created_at: string;
  updated_at: string;
  /** civitai or huggingface, once resolved. */
  source: string | null;
  /** A Hugging Face file: the repo, the commit resolved, the path in the repo, and the git blob id of a small file. */
  repo: string | null;
  revision: string | null;
  repo_path: string | null;
  git_blob_id: string | null;
  /** The host that downloads the job, in a log several hosts share; null in a single host's log. */
  host: string | null;
};

export const jobsTable = table<JobRow>('view_jobs', 'id', [
  'id', 'seq', 'state', 'input', 'model_id', 'version_id', 'file_id', 'file_name', 'model_name', 'version_name',
  'model_type', 'base_model', 'expected_sha256', 'sha256', 'path', 'bytes_done', 'bytes_total', 'attempts', 'error',
  'error_code', 'folder', 'routing_reason', 'flagged', 'created_at', 'updated_at', 'next_attempt_at', 'transferred',
  'source', 'repo', 'revision', 'repo_path', 'git_blob_id', 'host',
]);

const jobIdOf = (streamId: string): string => streamId.slice('download-'.length);

function foldRow(job: JobRow | undefined, e: DomainStoredEvent): JobRow | undefined {
  if (e.type === 'download.requested') {
    return {
      id: e.data.jobId, seq: e.position, state: 'resolving', input: e.data.input,
      model_id: e.data.modelId ?? null, version_id: e.data.versionId ?? null, file_id: e.data.fileId ?? null,
      file_name: null, model_name: null, version_name: null, model_type: null, base_model: null,
      expected_sha256: null, sha256: null, path: null, bytes_done: 0, bytes_total: null, attempts: 0,
      next_attempt_at: null, transferred: 0, error: null, error_code: null, folder: null, routing_reason: null, flagged: null,
      created_at: e.recordedAt, updated_at: e.recordedAt, source: null, repo: null, revision: null, repo_path: null, git_blob_id: null,
      host: e.data.host ?? e.metadata.host ?? null,
    };
  }
  if (!job) return undefined;
  const state = statusAfter(job.state, e, { transferred: job.transferred === 1 });
  const at = { updated_at: e.recordedAt, state: state === 'none' ? job.state : state };
  switch (e.type) {
    case 'download.resolved': {
      const d = e.data;
      const ids = d.source === 'civitai'
        ? { model_id: d.modelId, version_id: d.versionId, file_id: d.fileId, repo: null, revision: null, repo_path: null, git_blob_id: null }
        : { model_id: null, version_id: null, file_id: null, repo: d.repo, revision: d.revision, repo_path: d.repoPath, git_blob_id: d.gitBlobId };
      return {
        ...job, ...at, ...ids, source: d.source, file_name: d.fileName, model_name: d.modelName, version_name: d.versionName,
        model_type: d.modelType, base_model: d.baseModel, expected_sha256: d.sha256, bytes_total: d.sizeBytes,
      };
    }
    case 'download.attempt_started':
      return { ...job, ...at, attempts: e.data.attempt, next_attempt_at: null, error: null, error_code: null };
    case 'download.transfer_planned':
      return { ...job, ...at, bytes_done: 0, bytes_total: e.data.totalBytes };
    case 'download.chunk_written':
      return { ...job, ...at, bytes_done: job.bytes_done + e.data.length };
    case 'download.transfer_restarted':
      return { ...job, ...at, bytes_done: 0, sha256: null, transferred: 0 };
    case 'download.transfer_completed':
      return { ...job, ...at, sha256: e.data.sha256, bytes_done: e.data.bytes, transferred: 1 };
    case 'download.hash_verified':
      return { ...job, ...at, sha256: e.data.sha256 };
    case 'download.hash_mismatched': {
      const lists = `${job.source === 'huggingface' ? 'Hugging Face' : 'CivitAI'} lists ${e.data.algorithm === 'git-blob' ? 'git blob id ' : ''}${e.data.expected}`;
      return {
        ...job, ...at, sha256: e.data.algorithm === 'sha256' ? e.data.actual : null, transferred: 0, bytes_done: 0, error_code: 'HASH_MISMATCH',
        error: `hash mismatch: ${lists}, the download is ${e.data.actual}; the file was quarantined and nothing was placed (run \`comfyui-dl retry ${job.id}\`)`,
      };
    }
    case 'routing.decided':
      return { ...job, ...at, folder: e.data.folder, routing_reason: e.data.reason, flagged: e.data.flagged, base_model: e.data.baseModel ?? job.base_model };
    case 'download.placed':
      return { ...job, ...at, path: e.data.path, folder: e.data.folder, sha256: e.data.sha256 };
    case 'download.retry_scheduled':
      return at.state === 'waiting' ? { ...job, ...at, next_attempt_at: e.data.nextAttemptAt, error: e.data.message, error_code: e.data.code } : { ...job, ...at };
    case 'download.paused':
      return { ...job, ...at, next_attempt_at: null, error: e.data.message, error_code: e.data.reason === 'disk_full' ? 'DISK_FULL' : null };
    case 'download.resumed':
    case 'download.retried':
      return { ...job, ...at, next_attempt_at: null, error: null, error_code: null };
    case 'download.cancelled':
      return { ...job, ...at, next_attempt_at: null, transferred: 0 };
    case 'download.failed':
      return at.state === 'failed' ? { ...job, ...at, next_attempt_at: null, error: e.data.message, error_code: e.data.code } : { ...job, ...at };
    default:
      return { ...job, ...at };
  }
}

export const queueProjection: Projection = {
  name: 'queue',
  version: 4,
  tables: [jobsTable],
  handles: new Set([
    'download.requested', 'download.resolved', 'download.attempt_started', 'download.transfer_planned',
    'download.chunk_written', 'download.transfer_restarted', 'download.transfer_completed', 'download.hash_verified',
    'download.hash_mismatched', 'routing.decided', 'download.placed', 'download.paused', 'download.resumed',
    'download.retried', 'download.cancelled', 'download.failed', 'download.retry_scheduled',
  ]),
  apply(view: ViewWriter, e: DomainStoredEvent): void {
    if (!e.streamId.startsWith('download-')) return;
    const id = jobIdOf(e.streamId);
    const next = foldRow(view.get(jobsTable, id), e);
    if (next) view.put(jobsTable, next);
  },
};
