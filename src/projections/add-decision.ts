// What `add` does with a file its source just described, read from the views alone (pure): follow a job that is
// still running, say the file is already there (downloaded or found by a scan), retry a job that failed or was
// cancelled for the same bytes, or start a new job, which repairs a copy that went missing or changed.
import type { CatalogRow } from './catalog.projection.js';
import type { IdentityRow } from './library.projection.js';
import type { JobRow } from './queue.projection.js';
import { filePresence, versionPresence, type VersionPresence } from './version-presence.js';

/** The facts of the resolved file that tell "the same file" and "the same bytes". */
export type AddedFile =
  | { readonly source: 'civitai'; readonly versionId: number; readonly fileId: number; readonly sha256: string | null }
  | { readonly source: 'huggingface'; readonly repo: string; readonly repoPath: string; readonly sha256: string | null; readonly gitBlobId: string | null };

export interface AddViews {
  readonly jobs: readonly JobRow[];
  readonly catalog: readonly CatalogRow[];
  readonly identities: readonly Pick<IdentityRow, 'sha256' | 'version_id' | 'known'>[];
}

export type AddDecision =
  /** A job for this file is queued, running, waiting or paused: nothing new starts. */
  | { readonly kind: 'running'; readonly jobId: string }
  /** An intact copy is on disk; `jobId` is the download that placed it, null when a scan found it. */
  | { readonly kind: 'present'; readonly jobId: string | null; readonly path: string; readonly sha256: string }
  /** The newest job for these bytes failed or was cancelled: it runs again instead of a second one beside it. */
  | { readonly kind: 'retry'; readonly jobId: string }
  /** A new job; `repair` when a copy was here and is missing or no longer has its bytes. */
  | { readonly kind: 'new'; readonly repair: boolean };

const RUNNING = new Set<JobRow['state']>(['queued', 'resolving', 'downloading', 'waiting', 'paused', 'verifying']);

function sameFile(job: JobRow, file: AddedFile): boolean {
  if (file.source === 'civitai') return job.version_id === file.versionId && job.file_id === file.fileId;
  return job.source === 'huggingface' && job.repo === file.repo && job.repo_path === file.repoPath;
}

/** The job expects exactly the bytes the source lists now (a re-uploaded file or a new commit does not). */
function sameBytes(job: JobRow, file: AddedFile): boolean {
  if (file.sha256 !== null || job.expected_sha256 !== null) return job.expected_sha256 === file.sha256;
  return file.source === 'huggingface' && file.gitBlobId !== null && job.git_blob_id === file.gitBlobId;
}

/** Where completed downloads put each file of a version. */
export function versionPlacements(jobs: readonly JobRow[], versionId: number) {
  return jobs.flatMap((j) => (j.state === 'completed' && j.version_id === versionId && j.path !== null && j.sha256 !== null ? [{ versionId, path: j.path, sha256: j.sha256 }] : []));
}

const gone = (p: VersionPresence): boolean => p.status === 'missing' || p.status === 'changed';

export function decideAdd(views: AddViews, file: AddedFile): AddDecision {
  // Newest first: the job a user last saw for this file is the one that counts.
  const jobs = views.jobs.filter((j) => sameFile(j, file)).sort((a, b) => b.seq - a.seq);
  const running = jobs.find((j) => RUNNING.has(j.state));
  if (running) return { kind: 'running', jobId: running.id };

  const placements = jobs.flatMap((j) => (j.state === 'completed' && j.path !== null && j.sha256 !== null && sameBytes(j, file) ? [{ path: j.path, sha256: j.sha256 }] : []));
  const ofFile = filePresence(views.catalog, new Set(file.sha256 !== null ? [file.sha256] : []), placements);
  // A CivitAI file without a listed hash is known by its version alone.
  const ofVersion = file.source === 'civitai' ? versionPresence({ ...views, placements: versionPlacements(views.jobs, file.versionId) }, file.versionId) : null;
  const present = ofFile.status === 'present' ? ofFile : file.sha256 === null && ofVersion?.status === 'present' ? ofVersion : null;
  if (present) {
    const placedBy = jobs.find((j) => j.state === 'completed' && j.path === present.path) ?? jobs.find((j) => j.state === 'completed' && j.sha256 === present.sha256);
    return { kind: 'present', jobId: placedBy?.id ?? null, path: present.path, sha256: present.sha256 };
  }
  const newest = jobs[0];
  if (newest && (newest.state === 'failed' || newest.state === 'cancelled') && sameBytes(newest, file)) return { kind: 'retry', jobId: newest.id };
  return { kind: 'new', repair: gone(ofFile) || (ofVersion !== null && gone(ofVersion)) };
}
