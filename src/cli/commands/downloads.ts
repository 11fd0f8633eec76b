import type { Command } from 'commander';
import { plainText } from '../../lib/terminal-text.js';
import { civitaiId } from '../args.js';
import type { IpcClient } from '../../ipc/client.js';
import type { JobJson } from '../../ipc/protocol.js';
import { withClient } from '../client.js';
import { CliExit, EXIT, fail } from '../exit.js';
import { formatBytes, table } from '../format.js';
import { createProgressView } from '../progress.js';
import type { CliContext } from '../context.js';
import { printErr, printJson, printOut } from '../output.js';


const percent = (j: JobJson) => (j.bytesTotal ? `${Math.floor((j.bytesDone / j.bytesTotal) * 100)}%` : '-');
// Names come from CivitAI: each description is one line, whatever they hold.
const jobName = (j: JobJson) => plainText(j.modelName ? `${j.modelName} / ${j.versionName} (${j.fileName})` : j.fileName ?? '?');

export function describeJob(j: JobJson): string {
  return plainText(describeState(j));
}

function describeState(j: JobJson): string {
  switch (j.state) {
    case 'completed': return `job ${j.id} completed: ${j.path} (sha256 ${j.sha256}, verified)`;
    case 'failed': return `job ${j.id} failed: ${j.error ?? 'unknown error'}`;
    case 'paused': return `job ${j.id} paused${j.error ? `: ${j.error}` : ''}`;
    default: return `job ${j.id} ${j.state}: ${jobName(j)}`;
  }
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Follows one job until it ends; resolves with its final state. */
async function waitForJob(client: IpcClient, start: JobJson): Promise<JobJson> {
  const view = createProgressView(start.fileName ?? start.id);
  let job = start;
  if (TERMINAL.has(job.state)) return job;
  return new Promise((resolve, reject) => {
    const sub = client.subscribe({ stream: `download-${job.id}`, from: 1 }, (frame) => {
      if (frame.t === 'progress') view.update(frame.bytesDone, frame.bytesTotal);
      else if (frame.t === 'event' || frame.t === 'caught_up') {
        void client.request('job', { job: job.id }).then((r) => {
          if (r.isErr()) return;
          const previous = job.state;
          job = r.value.job;
          if (job.state === previous) return;
          view.line(describeJob(job));
          if (TERMINAL.has(job.state)) {
            sub.close();
            resolve(job);
          }
        });
      } else if (frame.t === 'end') {
        reject(new CliExit(EXIT.UNREACHABLE, frame.error?.message ?? 'the daemon ended the subscription'));
      }
    });
  });
}

export function registerDownloads(program: Command, ctx: CliContext): void {
  program
    .command('add')
    .description('download a CivitAI model: a model page URL, a download URL, an AIR, or --model/--version ids')
    .argument('[ref]', 'https://civitai.com/models/<id>[?modelVersionId=<vid>], /api/download/models/<vid>, or urn:air:…')
    .option('--model <id>', 'a CivitAI model id (its newest published version)', civitaiId('--model'))
    .option('--version <id>', 'a CivitAI model-version id', civitaiId('--version'))
    .option('--file <id>', 'a file id of that version (default: its primary file)', civitaiId('--file'))
    .option('--wait', 'block until the file is verified and placed (exit 0) or the job fails (exit 1)')
    .option('--json', 'print the job as JSON')
    .action(async (ref: string | undefined, opts: { model?: number; version?: number; file?: number; wait?: boolean; json?: boolean }) => {
      if (ref === undefined && opts.model === undefined && opts.version === undefined) {
        throw new CliExit(EXIT.USAGE, 'add needs a reference: a CivitAI URL, an AIR, --model ID or --version ID');
      }
      await withClient(await ctx.socket(), async (c) => {
        const added = (await c.request('add', { ref, model: opts.model, version: opts.version, file: opts.file })).match((r) => r, fail);
        let job = added.job;
        printErr(added.existing ? `already have it: ${describeJob(job)}\n` : `queued job ${job.id}: ${jobName(job)}, ${formatBytes(job.bytesTotal)}\n`);
        if (opts.wait) job = await waitForJob(c, job);
        if (opts.json) printJson(job);
        if (opts.wait && job.state !== 'completed') throw new CliExit(EXIT.FAILED, '');
      });
    });

  program
    .command('queue')
    .description('list download jobs (unfinished ones; --all for every job)')
    .option('--all', 'include completed and cancelled jobs')
    .option('--json', 'print JSON: an array of jobs')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const { jobs } = await withClient(await ctx.socket(), async (c) => (await c.request('queue', { all: opts.all })).match((r) => r, fail));
      if (opts.json) return printJson(jobs);
      if (jobs.length === 0) return void printOut(opts.all ? 'no jobs\n' : 'the queue is empty (see `comfyui-dl queue --all` for finished jobs)\n');
      printOut(`${table(['JOB', 'STATE', 'DONE', 'SIZE', 'MODEL', 'DETAIL'], jobs.map((j) => [
        j.id, j.state, percent(j), formatBytes(j.bytesTotal), jobName(j), j.state === 'completed' ? j.path ?? '' : j.error ?? '',
      ]))}\n`);
    });

  for (const [name, what] of [['pause', 'pause a download (its progress is kept)'], ['resume', 'resume a paused download'], ['cancel', 'cancel a download and delete its partial file'], ['retry', 'retry a failed or cancelled download']] as const) {
    program
      .command(name)
      .description(what)
      .argument('<job>', 'the job id (or a unique prefix), as `comfyui-dl queue` shows it')
      .option('--json', 'print the job as JSON')
      .action(async (job: string, opts: { json?: boolean }) => {
        const r = await withClient(await ctx.socket(), async (c) => (await c.request(name, { job })).match((x) => x, fail));
        if (opts.json) return printJson(r.job);
        printOut(`${describeJob(r.job)}\n`);
      });
  }

  program
    .command('list')
    .description('list the models comfyui-dl knows on disk')
    .option('--json', 'print JSON: an array of catalog entries')
    .action(async (opts: { json?: boolean }) => {
      const { models } = await withClient(await ctx.socket(), async (c) => (await c.request('list')).match((r) => r, fail));
      if (opts.json) return printJson(models);
      if (models.length === 0) return void printOut('no models yet: add one with `comfyui-dl add <civitai url>`\n');
      printOut(`${table(['PATH', 'TYPE', 'BASE', 'SIZE', 'MODEL'], models.map((m) => [
        m.path, m.type ?? m.folder, m.baseModel ?? '-', formatBytes(m.sizeBytes), m.modelName ? `${m.modelName} / ${m.versionName}` : '(unknown)',
      ]))}\n`);
    });
}
