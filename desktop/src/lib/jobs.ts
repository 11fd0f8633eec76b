import type { JobJson } from '../../../src/ipc/protocol.js';

export type JobState = JobJson['state'];

const ACTIVE: ReadonlySet<JobState> = new Set(['queued', 'resolving', 'downloading', 'waiting', 'paused', 'verifying']);

export function isActive(state: JobState): boolean {
  return ACTIVE.has(state);
}

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

/** Keeps whichever copy of a job changed last: a `queue` answer can be older than a job the feed pushed meanwhile. */
export function mergeJobs(current: readonly JobJson[], incoming: readonly JobJson[]): JobJson[] {
  const known = new Map(current.map((j) => [j.id, j]));
  return incoming.map((job) => {
    const mine = known.get(job.id);
    return mine !== undefined && mine.updatedAt > job.updatedAt ? mine : job;
  });
}

/** The list with one job added or replaced. */
export function upsertJob(list: readonly JobJson[], job: JobJson): JobJson[] {
  const index = list.findIndex((j) => j.id === job.id);
  return index < 0 ? [...list, job] : list.map((j, i) => (i === index ? job : j));
}

/** The newest job of each version: what a Download button for that version should act on. */
export function newestJobByVersion(jobs: readonly JobJson[]): Map<number | null, JobJson> {
  return new Map([...jobs].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((j) => [j.versionId, j]));
}

/**
 * What a Download button does for a version given its newest job: nothing new while one runs, a retry of that
 * job when it failed or was cancelled (never a second job beside it), else a new download.
 */
export function downloadAction(job: JobJson | undefined): 'running' | 'retry' | 'add' {
  if (job === undefined) return 'add';
  if (isActive(job.state)) return 'running';
  return job.state === 'failed' || job.state === 'cancelled' ? 'retry' : 'add';
}
