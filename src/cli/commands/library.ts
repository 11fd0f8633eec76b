import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { civitaiId } from '../args.js';
import { withClient } from '../client.js';
import { CliExit, EXIT, fail } from '../exit.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import type { AvailableUpdateJson, ResultOf } from '../../ipc/protocol.js';
import { describeJob, exitForWaited, waitForJob } from '../job-wait.js';
import { printJson, printOut } from '../output.js';


/**
 * `updates --json`: one array, each entry in the update shape of the contract. A newer version is kind `version`;
 * a file CivitAI replaced under the version you have is kind `replaced`, with that version as both installed and
 * latest, and the SHA-256 you have and the one CivitAI serves now.
 */
export function updatesJson(r: ResultOf<'updates'>): (AvailableUpdateJson & Record<string, unknown>)[] {
  return [
    ...r.updates.map((u) => ({ ...u, kind: 'version' })),
    ...r.replaced.map((f) => ({
      modelId: f.modelId, installedVersionId: f.versionId, latestVersionId: f.versionId, latestVersionName: f.versionName ?? '',
      publishedAt: null, path: f.path, modelName: f.modelName, baseModel: f.baseModel,
      kind: 'replaced', installedSha256: f.installedSha256, remoteSha256: f.remoteSha256,
    })),
  ];
}

export function registerLibrary(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description('look for models already on disk, hash what changed, identify them on CivitAI, write missing sidecars')
    .option('--wait', 'block until the scan is done and print what it found')
    .option('--json', 'print JSON')
    .action(async (opts: { wait?: boolean; json?: boolean }) => {
      const r = await withClient(await ctx.socket(), async (c) => (await c.request('scan', { wait: opts.wait })).match((x) => x, fail));
      if (opts.json) return printJson(r);
      if (!r.summary) return void printOut(r.started ? 'scan started (see `comfyui-dl status` and `comfyui-dl list`)\n' : 'a scan is already running\n');
      const s = r.summary;
      printOut(`scanned ${s.files} files in ${(s.ms / 1000).toFixed(1)} s: ${s.hashed} hashed, ${s.cached} unchanged, ${s.discovered} new, ${s.moved} moved, ${s.missing} missing; ${s.identified} identified on CivitAI, ${s.unknown} unknown\n`);
    });

  const updates = program
    .command('updates')
    .description('newer versions of the models you have (checked every 6 h by default), and files CivitAI replaced')
    .option('--check', 'ask CivitAI now instead of showing the last check')
    .option('--json', 'print JSON: an array of updates (kind "version"), and of files CivitAI replaced (kind "replaced")')
    // `updates get 12 --json`: options after a subcommand are the subcommand's.
    .enablePositionalOptions()
    .action(async (opts: { check?: boolean; json?: boolean }) => {
      const r = await withClient(await ctx.socket(), async (c) => (await c.request('updates', { check: opts.check })).match((x) => x, fail));
      if (opts.json) return printJson(updatesJson(r));
      if (r.updates.length === 0) printOut('everything is up to date\n');
      else {
        printOut(`${table(['MODEL', 'NAME', 'INSTALLED', 'LATEST', 'PUBLISHED', 'PATH'], r.updates.map((u) => [
          String(u.modelId), u.modelName ?? '?', String(u.installedVersionId), `${u.latestVersionId} (${u.latestVersionName})`, u.publishedAt?.slice(0, 10) ?? '-', u.path ?? '-',
        ]))}\nget one with \`comfyui-dl updates get <model>\`; silence one with \`comfyui-dl updates ignore --model <id>\` or \`--version <id>\`\n`);
      }
      for (const f of r.replaced) {
        printOut(`CivitAI replaced the file of version ${f.versionId} (model ${f.modelId}): ${f.path ?? 'your copy'} is ${f.installedSha256.slice(0, 12)}…, CivitAI now serves ${f.remoteSha256.slice(0, 12)}…\n`);
      }
    });
  updates
    .command('ignore')
    .description('stop reporting updates of a model, or one new version')
    .option('--model <id>', 'ignore every update of this model', civitaiId('--model'))
    .option('--version <id>', 'ignore this one version', civitaiId('--version'))
    .option('--json', 'print JSON: {modelId, versionId}')
    .action(async (opts: { model?: number; version?: number; json?: boolean }) => {
      if ((opts.model === undefined) === (opts.version === undefined)) throw new CliExit(EXIT.USAGE, 'give either --model ID or --version ID');
      const r = await withClient(await ctx.socket(), async (c) => (await c.request('updates.ignore', { model: opts.model, version: opts.version })).match((x) => x, fail));
      if (opts.json) return printJson(r);
      printOut(r.versionId === null ? `ignoring every update of model ${r.modelId}\n` : `ignoring version ${r.versionId} of model ${r.modelId}\n`);
    });
  updates
    .command('get')
    .description('download the newer version of a model next to the one you have')
    .argument('<model>', 'the model id, as `comfyui-dl updates` shows it', civitaiId('model'))
    .option('--wait', 'block until it is verified and placed (exit 0), fails or is cancelled (exit 1) or is paused (exit 4)')
    .option('--json', 'print the job as JSON')
    .action(async (model: number, opts: { json?: boolean; wait?: boolean }) => {
      await withClient(await ctx.socket(), async (c) => {
        const { updates: list } = (await c.request('updates', {})).match((x) => x, fail);
        const u = list.find((x) => x.modelId === model);
        if (!u) throw new CliExit(EXIT.USAGE, `no update is known for model ${model}; see \`comfyui-dl updates --check\``);
        const added = (await c.request('add', { version: u.latestVersionId })).match((x) => x, fail);
        const job = opts.wait ? await waitForJob(c, added.job) : added.job;
        if (opts.json) printJson(job);
        else printOut(`${describeJob(job)}\n`);
        if (opts.wait) exitForWaited(job);
      });
    });

  program
    .command('verify')
    .description('hash model files again and compare them with the log (all tracked files when no path is given)')
    .argument('[paths...]', 'model files, absolute or relative to the current folder or to the models folder')
    .option('--json', 'print JSON: an array of results')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      // A path that exists from here is sent absolute; anything else may be relative to the models folder.
      const sent = paths.length > 0 ? paths.map((p) => (existsSync(p) ? resolve(p) : p)) : undefined;
      const { results: distinct } = await withClient(await ctx.socket(), async (c) => (await c.request('verify', { paths: sent })).match((x) => x, fail));
      if (opts.json) printJson(distinct);
      else if (distinct.length === 0) printOut('nothing to verify: no tracked model files\n');
      else printOut(`${table(['STATUS', 'PATH', 'DETAIL'], distinct.map((r) => [r.status, r.path,
        r.status === 'changed' ? `expected ${r.expected?.slice(0, 12)}…, found ${r.actual?.slice(0, 12)}…` : r.status === 'unknown' ? 'not a tracked model file' : '',
      ]))}\n`);
      if (distinct.some((r) => r.status !== 'ok')) throw new CliExit(EXIT.FAILED, '');
    });
}
