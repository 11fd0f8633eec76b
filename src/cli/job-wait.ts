import type { IpcClient } from '../ipc/client.js';
import { plainText } from '../lib/terminal-text.js';
import type { JobJson } from '../ipc/protocol.js';
import { CliExit, EXIT } from './exit.js';
import { formatDuration } from './format.js';
import { createProgressView } from './progress.js';

// Names and messages come from outside: each description is one line of plain text, whatever they hold.
const jobName = (j: JobJson): string => plainText(j.modelName ? `${j.modelName} / ${j.versionName} (${j.fileName})` : j.fileName ?? '?');

/** One line that says where a job stands, for people. */
export function describeJob(j: JobJson, nowMs: number = Date.now()): string {
  return plainText(describeState(j, nowMs));
}

function describeState(j: JobJson, nowMs: number): string {
  switch (j.state) {
    case 'completed':
      return `job ${j.id} completed: ${j.path} (sha256 ${j.sha256}, verified)`;
    case 'failed':
      return `job ${j.id} failed: ${j.error ?? 'unknown error'}`;
    case 'paused':
      return j.pausedReason === 'disk_full'
        ? `job ${j.id} paused: ${j.error ?? 'the disk is full'}`
        : `job ${j.id} paused (resume it with \`comfyui-dl resume ${j.id}\`)`;
    case 'waiting': {
      const at = j.nextAttemptAt ? Date.parse(j.nextAttemptAt) : NaN;
      const when = Number.isNaN(at) ? 'soon' : `in ${formatDuration(Math.max(0, (at - nowMs) / 1000))} (${new Date(at).toLocaleTimeString()})`;
      return `job ${j.id} waiting to try again ${when}: ${j.error ?? 'a transient failure'}`;
    }
    default:
      return `job ${j.id} ${j.state}: ${jobName(j)}`;
  }
}

export { jobName };

/** States `--wait` stops at: the job ended, or it stays put until someone resumes it. */
const WAIT_ENDS = new Set<JobJson['state']>(['completed', 'failed', 'cancelled', 'paused']);
/** Events that cannot move a job's state: no need to ask for the job again. */
const PROGRESS_ONLY = new Set(['download.chunk_written', 'download.segment_split', 'download.validator_seen', 'download.connection_retried', 'download.url_refreshed']);

/**
 * Follows one job until it completes, fails, is cancelled or paused; a waiting job is waited for. Each change of
 * state is a progress line on stderr. A caller that prints the completed job as its result says `sayCompleted:
 * false`, so a terminal does not show that line twice; a job that did not complete is said here too, where failures go.
 */
export async function waitForJob(client: IpcClient, start: JobJson, options: { sayCompleted?: boolean } = {}): Promise<JobJson> {
  const sayCompleted = options.sayCompleted ?? true;
  const view = createProgressView(start.fileName ?? start.id);
  let job = start;
  if (WAIT_ENDS.has(job.state)) return job;
  return new Promise((resolve, reject) => {
    let asking = Promise.resolve();
    const refresh = (): void => {
      asking = asking.then(async () => {
        const r = await client.request('job', { job: job.id });
        if (r.isErr()) return;
        const previous = job;
        job = r.value.job;
        if (job.state === previous.state && job.nextAttemptAt === previous.nextAttemptAt) return;
        if (job.state === 'completed' && !sayCompleted) view.clear();
        else view.line(describeJob(job));
        if (WAIT_ENDS.has(job.state)) {
          sub.close();
          resolve(job);
        }
      });
    };
    const sub = client.subscribe({ stream: `download-${job.id}`, from: 1 }, (frame) => {
      if (frame.t === 'progress') view.update(frame.bytesDone, frame.bytesTotal);
      else if (frame.t === 'caught_up' || (frame.t === 'event' && !PROGRESS_ONLY.has(frame.event.type))) refresh();
      else if (frame.t === 'end') reject(new CliExit(EXIT.UNREACHABLE, frame.error?.message ?? 'the daemon ended the subscription'));
    });
  });
}

/** The exit of a waited-for job (ARCHITECTURE.md §8): 0 completed, 1 failed or cancelled, 4 paused. */
export function exitForWaited(job: JobJson): void {
  if (job.state === 'completed') return;
  if (job.state === 'paused') throw new CliExit(EXIT.PAUSED, '');
  throw new CliExit(EXIT.FAILED, '');
}
