import type { Command } from 'commander';
import { civitaiId, oneOf } from '../args.js';
import { FILE_FORMAT_VALUES, FILE_FP_VALUES, FILE_SIZE_VALUES, type JobJson } from '../../ipc/protocol.js';
import { withClient } from '../client.js';
import { CliExit, EXIT, fail } from '../exit.js';
import { formatBytes, table } from '../format.js';
import { describeJob, exitForWaited, jobName, waitForJob } from '../job-wait.js';
import type { CliContext } from '../context.js';
import { printErr, printJson, printOut } from '../output.js';


const percent = (j: JobJson) => (j.bytesTotal ? `${Math.floor((j.bytesDone / j.bytesTotal) * 100)}%` : '-');

interface AddOptions {
  model?: number;
  version?: number;
  file?: number;
  fp?: (typeof FILE_FP_VALUES)[number];
  format?: (typeof FILE_FORMAT_VALUES)[number];
  size?: (typeof FILE_SIZE_VALUES)[number];
  host?: string;
  wait?: boolean;
  json?: boolean;
}

export function registerDownloads(program: Command, ctx: CliContext): void {
  program
    .command('add')
    .description('download a model: a CivitAI model page URL, download URL or AIR, --model/--version ids, or a Hugging Face file URL or hf:// reference')
    .argument('[ref]', 'https://civitai.com/models/<id>[?modelVersionId=<vid>], /api/download/models/<vid>, urn:air:…, https://huggingface.co/<owner>/<repo>/(blob|resolve)/<revision>/<path> or hf://<owner>/<repo>[@<revision>]/<path>')
    .option('--model <id>', 'a CivitAI model id (its newest published version)', civitaiId('--model'))
    .option('--version <id>', 'a CivitAI model-version id', civitaiId('--version'))
    .option('--file <id>', 'a file id of that version (default: its primary file)', civitaiId('--file'))
    .option('--fp <precision>', `the file with this precision: ${FILE_FP_VALUES.join(', ')}`, oneOf('--fp', FILE_FP_VALUES))
    .option('--format <format>', `the file in this format: ${FILE_FORMAT_VALUES.join(', ')}`, oneOf('--format', FILE_FORMAT_VALUES))
    .option('--size <size>', `the ${FILE_SIZE_VALUES.join(' or ')} file`, oneOf('--size', FILE_SIZE_VALUES))
    .option('--host <name>', 'the host whose models folder receives the file, among hosts sharing one PostgreSQL log (default: the daemon\'s own)')
    .option('--wait', 'block until the file is verified and placed (exit 0), the job fails or is cancelled (exit 1) or is paused (exit 4)')
    .option('--json', 'print the job as JSON, with existing, retried and repair')
    .action(async (ref: string | undefined, opts: AddOptions) => {
      if (ref === undefined && opts.model === undefined && opts.version === undefined) {
        throw new CliExit(EXIT.USAGE, 'add needs a reference: a CivitAI URL, an AIR, --model ID, --version ID, or a Hugging Face file URL or hf:// reference');
      }
      const config = await ctx.config();
      await withClient(config.socket, async (c) => {
        const added = (await c.request('add', { ref, model: opts.model, version: opts.version, file: opts.file, fp: opts.fp, format: opts.format, size: opts.size, host: opts.host })).match((r) => r, fail);
        const flags = { existing: added.existing, retried: added.retried, repair: added.repair };
        if (added.job === null) {
          // Only a scan knows the file: there is no job, and nothing to wait for.
          const present = added.present!;
          if (opts.json) return printJson({ ...present, ...flags });
          return void printOut(`already have it: ${present.path} (found on disk, sha256 ${present.sha256})\n`);
        }
        let job = added.job;
        const result = added.retried ? `retrying job ${job.id}: ${jobName(job)}`
          : added.existing ? `already have it: ${describeJob(job)}`
          : `queued job ${job.id}${added.repair ? ' to repair the copy that is missing or changed' : ''}: ${jobName(job)}, ${formatBytes(job.bytesTotal)}`;
        // The result is stdout's; with --json (the job is the result) or --wait (the final state is) it is progress.
        (opts.json || opts.wait ? printErr : printOut)(`${result}\n`);
        if (opts.wait) job = await waitForJob(c, job, { sayCompleted: false });
        if (opts.json) printJson({ ...job, ...flags });
        else if (opts.wait) printOut(`${describeJob(job)}\n`);
        if (opts.wait) exitForWaited(job);
      });
    });

  program
    .command('queue')
    .description('list download jobs (unfinished ones; --all for every job)')
    .option('--all', 'include completed and cancelled jobs')
    .option('--host <name>', 'only the jobs of this host (several hosts sharing one PostgreSQL log; default: every host\'s)')
    .option('--json', 'print JSON: an array of jobs')
    .action(async (opts: { all?: boolean; host?: string; json?: boolean }) => {
      const { jobs } = await withClient(await ctx.socket(), async (c) => (await c.request('queue', { all: opts.all, host: opts.host })).match((r) => r, fail));
      if (opts.json) return printJson(jobs);
      if (jobs.length === 0) return void printOut(opts.all ? 'no jobs\n' : 'the queue is empty (see `comfyui-dl queue --all` for finished jobs)\n');
      // Every host's jobs: a HOST column once several hosts share the log.
      const hosts = jobs.some((j) => j.host);
      printOut(`${table(['JOB', ...(hosts ? ['HOST'] : []), 'STATE', 'DONE', 'SIZE', 'MODEL', 'DETAIL'], jobs.map((j) => [
        j.id, ...(hosts ? [j.host ?? '-'] : []), j.state, percent(j), formatBytes(j.bytesTotal), jobName(j),
        j.state === 'completed' ? j.path ?? '' : j.state === 'waiting' ? describeJob(j).replace(/^job \S+ /, '') : j.error ?? '',
      ]))}\n`);
    });

  const controls = [
    ['pause', 'pause a download (its progress is kept)', false],
    ['resume', 'resume a paused, waiting or failed download now', true],
    ['cancel', 'cancel a download and delete its partial file', false],
    ['retry', 'retry a failed, cancelled or waiting download', true],
  ] as const;
  for (const [name, what, waits] of controls) {
    const command = program
      .command(name)
      .description(what)
      .argument('<job>', 'the job id (or a unique prefix), as `comfyui-dl queue` shows it')
      .option('--json', 'print the job as JSON');
    if (waits) command.option('--wait', 'then block until the job completes (exit 0), fails or is cancelled (exit 1) or is paused (exit 4)');
    command.action(async (job: string, opts: { json?: boolean; wait?: boolean }) => {
      await withClient(await ctx.socket(), async (c) => {
        let r = (await c.request(name, { job })).match((x) => x.job, fail);
        if (opts.wait) r = await waitForJob(c, r, { sayCompleted: false });
        if (opts.json) printJson(r);
        else printOut(`${describeJob(r)}\n`);
        if (opts.wait) exitForWaited(r);
      });
    });
  }

  program
    .command('list')
    .description('list the models comfyui-dl knows on disk (this host\'s; --all-hosts for every host sharing the log)')
    .option('--all-hosts', 'every host\'s models, with the host that has each')
    .option('--json', 'print JSON: an array of catalog entries')
    .action(async (opts: { json?: boolean; allHosts?: boolean }) => {
      const { models } = await withClient(await ctx.socket(), async (c) => (await c.request('list', { allHosts: opts.allHosts })).match((r) => r, fail));
      if (opts.json) return printJson(models);
      if (models.length === 0) return void printOut('no models yet: add one with `comfyui-dl add <civitai url>`\n');
      const state = (m: (typeof models)[number]) => (m.missing ? 'missing' : m.changed ? 'changed' : 'ok');
      const hosts = opts.allHosts === true;
      printOut(`${table([...(hosts ? ['HOST'] : []), 'PATH', 'STATE', 'TYPE', 'BASE', 'SIZE', 'MODEL'], models.map((m) => [
        ...(hosts ? [m.host ?? '-'] : []), m.path, state(m), m.type ?? m.folder, m.baseModel ?? '-', formatBytes(m.sizeBytes), m.modelName ? `${m.modelName} / ${m.versionName}` : '(unknown)',
      ]))}\n`);
      const missing = models.filter((m) => m.missing).length;
      const changed = models.filter((m) => m.changed && !m.missing).length;
      if (missing > 0) printOut(`${missing} missing: deleted, or on a drive that is offline; their metadata is kept and they come back when the files do\n`);
      if (changed > 0) printOut(`${changed} changed: the bytes on disk are not the ones recorded (see \`comfyui-dl verify\`)\n`);
    });
}
