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
 * `updates --json`: one array, each entry in the update shape of the contract with its `source`. A newer CivitAI
 * version is kind `version`; a file CivitAI replaced under the version you have is kind `replaced`, with that version
 * as both installed and latest, and the SHA-256 you have and the one CivitAI serves now; a Hugging Face file a newer
 * commit on its branch changed is kind `commit`, with null ids, the repo, path and branch, and both commits.
 */
export function updatesJson(r: ResultOf<'updates'>): (Omit<AvailableUpdateJson, 'modelId' | 'installedVersionId' | 'latestVersionId'> & Record<string, unknown>)[] {
  return [
    ...r.updates.map((u) => ({ ...u, source: 'civitai', kind: 'version' })),
    ...r.replaced.map((f) => ({
      modelId: f.modelId, installedVersionId: f.versionId, latestVersionId: f.versionId, latestVersionName: f.versionName ?? '',
      publishedAt: null, path: f.path, modelName: f.modelName, baseModel: f.baseModel,
      source: 'civitai', kind: 'replaced', installedSha256: f.installedSha256, remoteSha256: f.remoteSha256,
    })),
    ...r.huggingface.map((u) => ({
      modelId: null, installedVersionId: null, latestVersionId: null, latestVersionName: u.title ?? u.latestCommit?.slice(0, 12) ?? u.revision,
      publishedAt: u.committedAt, path: u.path, modelName: u.repo, baseModel: null,
      source: 'huggingface', kind: 'commit', repo: u.repo, repoPath: u.repoPath, revision: u.revision, ref: u.ref,
      installedRevision: u.installedCommit, latestRevision: u.latestCommit, installedSha256: u.installedSha256, remoteSha256: u.remoteSha256,
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
      if (r.updates.length === 0 && r.replaced.length === 0 && r.huggingface.length === 0) printOut('everything is up to date\n');
      else if (r.updates.length === 0) printOut('no newer CivitAI versions\n');
      else {
        printOut(`${table(['MODEL', 'NAME', 'INSTALLED', 'LATEST', 'PUBLISHED', 'PATH'], r.updates.map((u) => [
          String(u.modelId), u.modelName ?? '?', String(u.installedVersionId), `${u.latestVersionId} (${u.latestVersionName})`, u.publishedAt?.slice(0, 10) ?? '-', u.path ?? '-',
        ]))}\nget one with \`comfyui-dl updates get <model>\`; silence one with \`comfyui-dl updates ignore --model <id>\` or \`--version <id>\`\n`);
      }
      for (const f of r.replaced) {
        printOut(`CivitAI replaced the file of version ${f.versionId} (model ${f.modelId}): ${f.path ?? 'your copy'} is ${f.installedSha256.slice(0, 12)}…, CivitAI now serves ${f.remoteSha256.slice(0, 12)}…; get it with \`comfyui-dl updates get ${f.modelId}\`\n`);
      }
      for (const u of r.huggingface) {
        printOut(`a newer commit on ${u.revision} of ${u.repo} changed ${u.repoPath}${u.title ? ` ("${u.title}")` : ''}: ${u.path ?? 'your copy'} is from ${u.installedCommit.slice(0, 7)}, ${u.revision} now ${u.latestCommit?.slice(0, 7) ?? 'differs'}; get it with \`comfyui-dl updates get ${u.ref}\`\n`);
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
    .description('download what `updates` lists, next to what you have: the newer version of a model (or the file CivitAI replaced), or a Hugging Face file a newer commit changed')
    .argument('<update>', 'a CivitAI model id, or a Hugging Face file (hf://<owner>/<repo>[@<branch>]/<path>), as `comfyui-dl updates` shows it')
    .option('--wait', 'block until it is verified and placed (exit 0), fails or is cancelled (exit 1) or is paused (exit 4)')
    .option('--json', 'print the job as JSON')
    .action(async (update: string, opts: { json?: boolean; wait?: boolean }) => {
      const params = /^\d+$/.test(update.trim()) ? { model: civitaiId('model')(update.trim()) } : { ref: update };
      await withClient(await ctx.socket(), async (c) => {
        const added = (await c.request('updates.get', params)).match((x) => x, fail);
        // Already there (a scan found the new bytes): nothing to download.
        if (added.job === null) {
          if (opts.json) return printJson({ ...added.present, existing: true });
          return void printOut(`already have it: ${added.present?.path ?? update}\n`);
        }
        const job = opts.wait ? await waitForJob(c, added.job, { sayCompleted: false }) : added.job;
        if (opts.json) printJson({ ...job, existing: added.existing, retried: added.retried, repair: added.repair });
        else printOut(`${describeJob(job)}\n`);
        if (opts.wait) exitForWaited(job);
      });
    });

  program
    .command('verify')
    .description('hash model files again and compare them with the log (all tracked files when no path is given)')
    .argument('[paths...]', 'model files, absolute or relative to the current folder or to the models folder')
    .option('--repair', 'queue a fresh download of every missing or changed file (from the source it came from)')
    .option('--json', 'print JSON: an array of results')
    .action(async (paths: string[], opts: { json?: boolean; repair?: boolean }) => {
      // A path that exists from here is sent absolute; anything else may be relative to the models folder.
      const sent = paths.length > 0 ? paths.map((p) => (existsSync(p) ? resolve(p) : p)) : undefined;
      const { results: distinct } = await withClient(await ctx.socket(), async (c) => (await c.request('verify', { paths: sent, repair: opts.repair })).match((x) => x, fail));
      const repaired = (r: (typeof distinct)[number]): string =>
        !r.repair ? ''
        : r.repair.jobId !== null ? `; queued job ${r.repair.jobId} to download it again`
        : r.repair.intactAt !== null ? `; an intact copy is at ${r.repair.intactAt}`
        : `; not repaired: ${r.repair.error ?? 'unknown'}`;
      if (opts.json) printJson(distinct);
      else if (distinct.length === 0) printOut('nothing to verify: no tracked model files\n');
      else printOut(`${table(['STATUS', 'PATH', 'DETAIL'], distinct.map((r) => [r.status, r.path,
        (r.status === 'changed' ? `expected ${r.expected?.slice(0, 12)}…, found ${r.actual?.slice(0, 12)}…` : r.status === 'unknown' ? 'not a tracked model file' : '') + repaired(r),
      ]))}\n`);
      // With --repair, a file on its way back (or intact elsewhere) is not a failure; one that could not be queued is.
      const unresolved = distinct.filter((r) => r.status !== 'ok' && !r.repair?.jobId && !r.repair?.intactAt);
      if (unresolved.length > 0) throw new CliExit(EXIT.FAILED, '');
    });
}
