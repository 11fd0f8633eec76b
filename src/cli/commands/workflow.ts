import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readRegularFileBytes } from '../../config/regular-file.js';
import type { IpcClient } from '../../ipc/client.js';
import type { JobJson, WorkflowModel, WorkflowModelJson } from '../../ipc/protocol.js';
import { readWorkflow } from '../../workflow/read.js';
import { checkRequestOfWorkflow } from '../../workflow/request.js';
import { withClient } from '../client.js';
import type { CliContext } from '../context.js';
import { CliExit, EXIT, fail } from '../exit.js';
import { table } from '../format.js';
import { describeJob, waitForJob } from '../job-wait.js';
import { printErr, printJson, printOut } from '../output.js';

/** A PNG ComfyUI saves is a few MB; a workflow JSON far less. Anything larger is not one. */
const MAX_WORKFLOW_FILE_BYTES = 256 * 1024 * 1024;

interface WorkflowOptions {
  get?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** The model files of a workflow file, as `workflow.check` takes them; bad input ends the command with exit 2. */
async function modelsOf(file: string): Promise<WorkflowModel[]> {
  const bytes = await readRegularFileBytes(resolve(file), MAX_WORKFLOW_FILE_BYTES);
  if (bytes.isErr()) {
    const why = bytes.error.code === 'ABSENT' ? 'no such file' : bytes.error.reason;
    throw new CliExit(EXIT.USAGE, `cannot read ${file}: ${why}; give a workflow .json (UI or API format) or a PNG saved by ComfyUI`);
  }
  const workflow = readWorkflow(bytes.value);
  if (workflow.isErr()) throw new CliExit(EXIT.USAGE, `${file}: ${workflow.error.message}`);
  const request = checkRequestOfWorkflow(workflow.value);
  if (request.isErr()) throw new CliExit(EXIT.USAGE, `${file}: ${request.error}`);
  for (const warning of request.value.warnings) printErr(`comfyui-dl: warning: ${file}: ${warning}\n`);
  return request.value.models;
}

const shownPath = (m: WorkflowModelJson): string => m.path ?? `${m.directory ?? '?'}/${m.name}`;

function detailOf(m: WorkflowModelJson): string {
  if (m.status === 'present') return m.path ?? '';
  const from = m.civitai ? 'civitai (by its hash)' : m.source;
  const where = m.status === 'missing' ? `${from} → ${shownPath(m)}` : (m.reason ?? '');
  const job = m.job ? `; ${describeJob(m.job)}` : '';
  const failed = m.error ? `; not queued: ${m.error.message}` : '';
  return `${where}${job}${failed}`;
}

function printHuman(models: readonly WorkflowModelJson[], opts: WorkflowOptions): void {
  if (models.length === 0) return void printOut('this workflow loads no model files\n');
  printOut(`${table(['STATUS', 'FOLDER', 'NAME', 'DETAIL'], models.map((m) => [m.status, m.directory ?? '?', m.name, detailOf(m)]))}\n`);
  for (const m of models) {
    for (const warning of m.warnings) printErr(`comfyui-dl: warning: ${m.name}: ${warning}\n`);
    if (m.status === 'unresolved') {
      const nodes = m.usedBy.map((use) => `${use.title ?? use.nodeType} (node ${use.nodeId}, ${use.input})`).join(', ');
      if (nodes) printErr(`${m.name} is needed by ${nodes}\n`);
    }
  }
  const count = (status: WorkflowModelJson['status']) => models.filter((m) => m.status === status).length;
  const missing = count('missing');
  const unresolved = count('unresolved');
  printOut(`${count('present')} present, ${missing} missing, ${unresolved} unresolved\n`);
  const queued = models.filter((m) => m.job && m.status === 'missing').length;
  if (missing > 0 && !opts.get && queued === 0) printOut('run it again with --get to download the missing ones into place (--wait to wait for them)\n');
}

/** Waits for every job the check attached, one after the other (they run side by side in the daemon). */
async function waitForAll(client: IpcClient, models: readonly WorkflowModelJson[]): Promise<Map<string, JobJson>> {
  const ended = new Map<string, JobJson>();
  for (const m of models) {
    if (m.job && !ended.has(m.job.id)) ended.set(m.job.id, await waitForJob(client, m.job));
  }
  return ended;
}

export function registerWorkflow(program: Command, ctx: CliContext): void {
  program
    .command('workflow')
    .description('list the model files a ComfyUI workflow loads (UI JSON, API JSON or a PNG saved by ComfyUI) and whether each is where ComfyUI looks')
    .argument('<file>', 'the workflow: a .json (UI or API format) or a .png with the workflow embedded')
    .option('--get', 'download every missing file that has a CivitAI or Hugging Face source, into <directory>/<name> exactly')
    .option('--wait', 'block until the downloads on their way are placed, failed or paused')
    .option('--json', 'print JSON: an array of {name, directory, status, path, url, …}')
    .action(async (file: string, opts: WorkflowOptions) => {
      const models = await modelsOf(file);
      const socket = await ctx.socket();
      const checked = await withClient(socket, async (c) => {
        const first = (await c.request('workflow.check', { models, get: opts.get })).match((r) => r.models, fail);
        if (!opts.wait || !first.some((m) => m.job)) return first;
        const jobs = await waitForAll(c, first);
        // Checked again once the jobs ended: a placed file is now present, where ComfyUI finds it.
        const again = (await c.request('workflow.check', { models })).match((r) => r.models, fail);
        return again.map((m, i) => {
          const job = first[i]?.job;
          return { ...m, job: m.job ?? (job ? jobs.get(job.id) ?? job : null), error: first[i]?.error ?? null };
        });
      });
      if (opts.json) printJson(checked);
      else printHuman(checked, opts);
      if (checked.some((m) => m.status !== 'present')) throw new CliExit(EXIT.FAILED, '');
    });
}
