// `workflow.check`: where each model file of a workflow stands, found the way ComfyUI finds it (the file name under
// every folder it searches for the loader's folder key, extra_model_paths.yaml included), a hash-only one looked
// up on CivitAI; with `get`, every missing one is queued through `add`, pinned to `<directory>/<name>`.
import { stat } from 'node:fs/promises';
import { err, ok, type Result } from 'neverthrow';
import type { CivitaiClient } from '../civitai/client.js';
import { jobStream, type JobFold } from '../events/download.decider.js';
import { modelPathOf } from '../handlers/download/route-file.js';
import type { AddResult, IpcError, JobJson, ValidParamsOf, WorkflowModel, WorkflowModelJson } from '../ipc/protocol.js';
import { modelSearchDirs, type FolderAliases, type ModelDir, type ModelRoots } from '../routing/destinations.js';
import { loadModelRoots } from '../routing/destinations-io.js';
import { canonicalFolderKey } from '../routing/folders.js';
import { redactDeep } from '../lib/redact.js';
import { joinPath } from '../lib/paths.js';
import { comfyLookupName, folderSearchDirs, normalizePinnedTarget, pinnedDestination, pinnedFolderKey, type PinnedTarget } from '../routing/pinned-destination.js';
import type { StreamCommands } from '../store/stream-commands.js';
import { classifyModelUrl } from '../workflow/url-kind.js';
import { judgeModel, needsHashLookup, type HashLookup, type Landing } from '../workflow/verdict.js';
import { pinnedTargetKey, unfinishedJobsByTarget } from './download-methods.js';
import type { ViewQueries } from '../views/queries.js';

export interface WorkflowMethodDeps {
  readonly commands: StreamCommands;
  readonly views: ViewQueries;
  readonly client: CivitaiClient;
  readonly modelsDir: string;
  readonly extraModelPaths: string | null;
  readonly defaultRoot: string | null;
  readonly civitaiUrl: string;
  readonly hfEndpoint?: string;
  /** The configured keys: a workflow's URL may carry one (`?token=`), and answers never do. */
  readonly secrets: () => readonly string[];
  /** The daemon's own `add`: a workflow's files are queued like any other download. */
  readonly add: (params: ValidParamsOf<'add'>) => Promise<Result<AddResult, IpcError>>;
}

/** ComfyUI's embedding loader tries the name as given, then with each of these (comfy/sd1_clip.py). */
const EMBEDDING_EXTENSIONS = ['.safetensors', '.pt', '.bin'];

const isFile = (path: string): Promise<boolean> => stat(path).then((s) => s.isFile(), () => false);

/**
 * Where ComfyUI would load the file from: the name joined to each folder it searches, in its order, a regular file
 * (a link that points nowhere is skipped, as ComfyUI skips it). A file only an unknown node names is looked for in
 * every model folder.
 */
async function findModelFile(roots: ModelRoots, modelsDir: string, model: WorkflowModel): Promise<string | null> {
  const name = comfyLookupName(model.name);
  if (name === '') return null;
  let dirs: readonly ModelDir[] = [];
  if (model.directory === null) dirs = modelSearchDirs(roots);
  else if (pinnedFolderKey(model.directory).isOk()) dirs = folderSearchDirs(roots, canonicalFolderKey(model.directory), modelsDir);
  const names = model.extensionOptional ? [name, ...EMBEDDING_EXTENSIONS.map((ext) => `${name}${ext}`)] : [name];
  for (const dir of dirs) {
    for (const candidate of names) {
      const path = joinPath(dir.path, candidate);
      if (await isFile(path)) return modelPathOf(modelsDir, path);
    }
  }
  return null;
}

/** The place `get` pins the file to: an embedding named without extension gets `.safetensors`, which ComfyUI tries. */
function pinnedTargetOf(model: WorkflowModel): Result<PinnedTarget, string> {
  if (model.directory === null) return err('no folder known');
  const name = model.extensionOptional ? `${model.name}${EMBEDDING_EXTENSIONS[0]}` : model.name;
  return normalizePinnedTarget({ directory: model.directory, name }).mapErr((e) => e.message);
}

async function lookupHash(client: CivitaiClient, hash: string): Promise<HashLookup> {
  const version = await client.getVersionByHash(hash);
  if (version.isErr()) return version.error.code === 'NOT_FOUND' ? { kind: 'unknown' } : { kind: 'failed', message: version.error.message };
  const wanted = hash.trim().toLowerCase();
  const file = version.value.files.find((f) => Object.values(f.hashes).some((h) => h.toLowerCase() === wanted));
  // CivitAI matched the version: without a file carrying the hash, its primary file is the one it means.
  const chosen = file ?? version.value.files.find((f) => f.primary) ?? version.value.files[0];
  return chosen ? { kind: 'found', modelId: version.value.modelId, versionId: version.value.id, fileId: chosen.id } : { kind: 'unknown' };
}

/** A pinned file whose header routes it elsewhere: placed where the workflow's loader looks, and said so. */
function headerWarning(job: JobFold): string | null {
  if (!job.target || !job.route || canonicalFolderKey(job.route.folder) === job.target.directory) return null;
  return `its header says it belongs in ${job.route.folder} (${job.route.reason}); it is in ${job.target.directory}/ because the workflow loads it from there`;
}

interface Context {
  readonly roots: ModelRoots;
  readonly aliases: FolderAliases;
  readonly inFlight: ReadonlyMap<string, JobJson>;
  /** Completed jobs by the path they placed a file at. */
  readonly placed: ReadonlyMap<string, string>;
}

async function checkModel(deps: WorkflowMethodDeps, ctx: Context, model: WorkflowModel, get: boolean): Promise<WorkflowModelJson> {
  const urlKind = classifyModelUrl(model.url, { civitaiBaseUrl: deps.civitaiUrl, hfEndpoint: deps.hfEndpoint });
  const foundAt = await findModelFile(ctx.roots, deps.modelsDir, model);
  const target = pinnedTargetOf(model);
  const landing = target.andThen((t): Result<Landing, string> => {
    const dest = pinnedDestination({ roots: ctx.roots, aliases: ctx.aliases, modelsDir: deps.modelsDir, preferredRoot: deps.defaultRoot }, t);
    return dest.isOk() ? ok({ path: modelPathOf(deps.modelsDir, dest.value.path), name: dest.value.name, renamed: dest.value.renamed }) : err(dest.error.message);
  });
  const hashLookup = needsHashLookup(model, foundAt, urlKind) ? await lookupHash(deps.client, model.hash!) : null;
  const verdict = judgeModel(model, { foundAt, landing, urlKind, hashLookup, civitaiUrl: deps.civitaiUrl });

  let job = target.isOk() && verdict.status !== 'present' ? ctx.inFlight.get(pinnedTargetKey(target.value)) ?? null : null;
  let error: IpcError | null = null;
  if (get && verdict.status === 'missing' && verdict.fetch && target.isOk() && !job) {
    const added = await deps.add({ ...verdict.fetch, target: target.value });
    if (added.isOk()) job = added.value.job;
    else error = added.error;
  }
  const jobId = job?.id ?? (foundAt === null ? undefined : ctx.placed.get(foundAt));
  const warning = jobId === undefined ? null : headerWarning(await deps.commands.state(`download-${jobId}`, jobStream));
  const { fetch: _fetch, ...shown } = verdict;
  return {
    name: model.name,
    directory: model.directory,
    ...shown,
    hash: model.hash ?? null,
    hashType: model.hashType ?? null,
    usedBy: model.usedBy,
    warnings: warning ? [...verdict.warnings, warning] : verdict.warnings,
    job,
    error,
  };
}

export function workflowMethods(deps: WorkflowMethodDeps) {
  return {
    'workflow.check': async (p: ValidParamsOf<'workflow.check'>): Promise<Result<{ models: WorkflowModelJson[] }, IpcError>> => {
      // Read afresh: an edit of extra_model_paths.yaml or a file put in place by hand counts at once.
      const { roots, aliases } = await loadModelRoots({ modelsDir: deps.modelsDir, extraModelPaths: deps.extraModelPaths });
      const jobs = await deps.views.jobs(true);
      const placed = new Map(jobs.flatMap((j) => (j.state === 'completed' && j.path ? [[j.path, j.id] as const] : [])));
      const ctx: Context = { roots, aliases, inFlight: await unfinishedJobsByTarget(deps), placed };
      const models: WorkflowModelJson[] = [];
      // One at a time: hash lookups and adds go to CivitAI, which rate-limits bursts.
      for (const model of p.models) models.push(await checkModel(deps, ctx, model, p.get ?? false));
      return ok({ models: redactDeep(models, deps.secrets()) });
    },
  };
}
