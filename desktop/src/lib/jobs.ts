import type { JobJson } from '../../../src/ipc/protocol.js';

export type JobState = JobJson['state'];

const ACTIVE: ReadonlySet<JobState> = new Set(['queued', 'resolving', 'downloading', 'waiting', 'paused', 'verifying']);

export function isActive(state: JobState): boolean {
  return ACTIVE.has(state);
}

/** What the user may do with a job in each state (the daemon refuses the rest anyway). */
export function actionsFor(state: JobState): readonly ('pause' | 'resume' | 'cancel' | 'retry')[] {
  switch (state) {
    case 'queued':
    case 'resolving':
    case 'downloading':
    case 'verifying':
      return ['pause', 'cancel'];
    case 'paused':
    case 'waiting':
      return ['resume', 'cancel'];
    case 'failed':
    case 'cancelled':
      return ['retry'];
    case 'completed':
      return [];
  }
}

export const STATE_LABELS: Readonly<Record<JobState, string>> = {
  queued: 'Queued',
  resolving: 'Resolving',
  downloading: 'Downloading',
  waiting: 'Waiting to retry',
  paused: 'Paused',
  verifying: 'Verifying',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Active jobs oldest first (the order they run in); finished ones newest first. */
export function splitJobs(jobs: readonly JobJson[]): { active: JobJson[]; finished: JobJson[] } {
  const active = jobs.filter((j) => isActive(j.state)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const finished = jobs.filter((j) => !isActive(j.state)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return { active, finished };
}

/** The job's title as a person knows it: the model and version once resolved, else what was asked for. */
export function jobTitle(job: JobJson): string {
  if (job.modelName) return job.versionName ? `${job.modelName} · ${job.versionName}` : job.modelName;
  if (job.fileName) return job.fileName;
  if (job.versionId !== null) return `Version ${job.versionId}`;
  if (job.modelId !== null) return `Model ${job.modelId}`;
  return 'Resolving…';
}

/** While a job downloads, its live progress is fresher than what the last `queue` said. */
export function bytesDoneOf(job: JobJson, live: { bytesDone: number } | undefined): number {
  if (job.state !== 'downloading' || live === undefined) return job.bytesDone;
  return live.bytesDone;
}
