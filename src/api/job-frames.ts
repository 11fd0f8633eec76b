import type { StoredEvent } from '../events/envelope.js';
import type { JobJson } from '../ipc/protocol.js';

const DOWNLOAD_STREAM = 'download-';

export interface JobFrames {
  /** The jobs to push after this event: none while catching up (they come with `caughtUp`), else its job if it changed. */
  afterEvent(event: StoredEvent): Promise<JobJson[]>;
  /** Once the backlog is delivered: every job it touched, once each, as it is now. */
  caughtUp(): Promise<JobJson[]>;
}

/**
 * Which job JSON a subscriber that shows jobs should get, so that it never has to ask. Per subscription: it
 * remembers what it sent, so a batch of events that leaves a job as it was sends nothing, and a backlog of
 * thousands of events sends each job once. Chunk writes and segment splits only change the byte count, which progress frames already
 * carry several times a second; they send the job only when its state moved with them.
 */
export function createJobFrames(lookup: (jobId: string) => Promise<JobJson | undefined>): JobFrames {
  const sent = new Map<string, { json: string; state: JobJson['state'] }>();
  let catchingUp = true;
  const touched = new Set<string>();

  const changed = async (jobId: string, chunkOnly: boolean): Promise<JobJson[]> => {
    const job = await lookup(jobId);
    if (job === undefined) return [];
    const json = JSON.stringify(job);
    const last = sent.get(jobId);
    if (last?.json === json || (chunkOnly && last?.state === job.state)) return [];
    sent.set(jobId, { json, state: job.state });
    return [job];
  };

  return {
    async afterEvent(event) {
      if (!event.streamId.startsWith(DOWNLOAD_STREAM)) return [];
      const jobId = event.streamId.slice(DOWNLOAD_STREAM.length);
      if (catchingUp) {
        touched.add(jobId);
        return [];
      }
      return changed(jobId, event.type === 'download.chunk_written' || event.type === 'download.segment_split');
    },
    async caughtUp() {
      catchingUp = false;
      const ids = [...touched];
      touched.clear();
      const jobs: JobJson[] = [];
      for (const jobId of ids) jobs.push(...(await changed(jobId, false)));
      return jobs;
    },
  };
}
