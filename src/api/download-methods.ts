import type { HostScope } from '../store/query.js';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { redact } from '../civitai/errors.js';
import { modelRefFromIds, parseModelRef, withFileFilters, withFileId } from '../civitai/refs.js';
import { decideJob, jobStream, type JobCommand } from '../events/download.decider.js';
import { formatHfRef, looksLikeHfRef, parseHfRef } from '../huggingface/refs.js';
import type { AddResult, IpcError, JobJson, ValidParamsOf } from '../ipc/protocol.js';
import { decideAdd, type AddDecision, type AddedFile } from '../projections/add-decision.js';
import { resolveWith, type ResolvedDownload, type SourceRef, type Sources } from '../sources/source.js';
import { normalizePinnedTarget, type PinnedTarget } from '../routing/pinned-destination.js';
import type { StreamCommands } from '../store/stream-commands.js';
import { catalogJson, changedFiles, jobJson, libraryState, type ViewQueries } from '../views/queries.js';

export interface DownloadMethodDeps {
  readonly commands: StreamCommands;
  readonly views: ViewQueries;
  readonly sources: Sources;
  readonly civitaiUrl: string;
  /** HF_ENDPOINT: URLs on its host are Hugging Face references. */
  readonly hfEndpoint: string;
  /** Where relative catalog paths live, to see whether a file said to be there still is. */
  readonly modelsDir: string;
  readonly actor: 'cli' | 'desktop';
  /** Whether other hosts share this log (PostgreSQL): only then can a job be queued for another host. */
  readonly sharedLog: boolean;
}

const newJobId = (): string => randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x');

const CIVITAI_ONLY = ['model', 'version', 'file', 'fp', 'format', 'size'] as const;

/** What the user asked for: a Hugging Face file (a URL on the hub or `hf://`), or a CivitAI model, version or file. */
function referenceFrom(p: ValidParamsOf<'add'>, deps: Pick<DownloadMethodDeps, 'civitaiUrl' | 'hfEndpoint'>): Result<SourceRef, IpcError> {
  if (p.ref !== undefined && looksLikeHfRef(p.ref, deps.hfEndpoint)) {
    const extra = CIVITAI_ONLY.filter((key) => p[key] !== undefined);
    if (extra.length > 0) {
      return err({ code: 'BAD_PARAMS', message: `${extra.map((key) => `--${key}`).join(', ')} pick a CivitAI file; a Hugging Face reference names its file itself` });
    }
    return parseHfRef(p.ref, deps.hfEndpoint).map((ref): SourceRef => ({ source: 'huggingface', ref })).mapErr((e) => ({ code: 'BAD_PARAMS', message: e.message }));
  }
  const parsed = p.ref !== undefined ? parseModelRef(p.ref, { baseUrl: deps.civitaiUrl }) : modelRefFromIds({ model: p.model, version: p.version });
  const withFile = parsed
    .andThen((ref) => (p.file !== undefined ? withFileId(ref, p.file) : ok(ref)))
    .andThen((ref) => withFileFilters(ref, { fp: p.fp, format: p.format, size: p.size }));
  return withFile.map((ref): SourceRef => ({ source: 'civitai', ref })).mapErr((e) => ({ code: 'BAD_PARAMS', message: e.message }));
}

/** What the user typed, with any token stripped: shown by `history`. */
function inputOf(p: ValidParamsOf<'add'>): string {
  const flags = [p.fp && `--fp ${p.fp}`, p.format && `--format ${p.format}`, p.size && `--size ${p.size}`];
  return redact([p.ref ?? [p.model && `--model ${p.model}`, p.version && `--version ${p.version}`, p.file && `--file ${p.file}`].filter(Boolean).join(' '), ...flags].filter(Boolean).join(' '));
}

function addedFile(r: ResolvedDownload): AddedFile {
  return r.source === 'civitai'
    ? { source: 'civitai', versionId: r.versionId, fileId: r.fileId, sha256: r.sha256 }
    : { source: 'huggingface', repo: r.repo, repoPath: r.repoPath, sha256: r.sha256, gitBlobId: r.gitBlobId };
}

export async function findJob(views: ViewQueries, ref: string): Promise<Result<string, IpcError>> {
  const rows = await views.jobByRef(ref.trim().toLowerCase());
  if (rows.length === 0) return err({ code: 'NOT_FOUND', message: `no download job '${ref}'; list them with \`comfyui-dl queue --all\`` });
  if (rows.length > 1 && rows[0]!.id !== ref) return err({ code: 'BAD_PARAMS', message: `'${ref}' matches several jobs; type more of the id` });
  return ok(rows[0]!.id);
}

/** A user's command on a job, through the one command path; answers with the job as the queue view now shows it. */
async function decideAndAppend(deps: Pick<DownloadMethodDeps, 'commands' | 'views' | 'actor'>, jobId: string, command: JobCommand): Promise<Result<JobJson, IpcError>> {
  const decided = await deps.commands.run(`download-${jobId}`, jobStream, (state) => decideJob(state, command, jobId), { actor: deps.actor, correlationId: jobId });
  if (decided.isErr()) {
    const e = decided.error;
    if (e.kind === 'storage') return err({ code: 'FAILED', message: e.error.message });
    return err({ code: e.error.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'CONFLICT', message: e.error.message });
  }
  const row = await deps.views.job(jobId);
  return row ? ok(jobJson(row)) : err({ code: 'NOT_FOUND', message: `job ${jobId} vanished` });
}

/**
 * The views say a copy is there; the disk has the last word. A file deleted or rewritten since the last scan is
 * gone or changed, and is downloaded again rather than reported as present.
 */
async function stillOnDisk(deps: Pick<DownloadMethodDeps, 'modelsDir'>, path: string, sizeBytes: number): Promise<boolean> {
  const info = await stat(isAbsolute(path) ? path : join(deps.modelsDir, path)).catch(() => undefined);
  return info !== undefined && info.isFile() && info.size === sizeBytes;
}

/**
 * `add`: resolve the reference with its source, then follow the job that already has the file, say it is on disk,
 * retry a failed or cancelled job for the same bytes, or queue a new job (a repair when a copy went missing or
 * changed). Every job write goes through the one command path.
 */
export async function addDownload(deps: DownloadMethodDeps, p: ValidParamsOf<'add'>): Promise<Result<AddResult, IpcError>> {
  const ref = referenceFrom(p, deps);
  if (ref.isErr()) return err(ref.error);
  const pinned = p.target ? normalizePinnedTarget(p.target) : undefined;
  if (pinned?.isErr()) return err({ code: 'BAD_PARAMS', message: `target: ${pinned.error.message}` });
  const target = pinned?.isOk() ? pinned.value : undefined;
  const host = p.host ?? deps.views.host;
  if (host !== deps.views.host && !deps.sharedLog) {
    return err({ code: 'BAD_PARAMS', message: `this daemon keeps its own log (SQLite), so only it (${deps.views.host}) downloads: to queue for ${host}, share one PostgreSQL database (--database-url)` });
  }
  const resolved = await resolveWith(deps.sources, ref.value);
  if (resolved.isErr()) return err(resolved.error);
  const r = resolved.value;
  // What the downloading host has and runs decides; another host's disk is known from its catalog alone.
  const scope: HostScope = host === undefined ? 'all' : { host };
  const [jobs, catalog, identities] = await Promise.all([deps.views.jobs(true, scope), deps.views.catalog(scope), deps.views.identities()]);
  // A pinned file is wanted at its place: a copy or a job of the same bytes elsewhere does not answer the request,
  // only a job already on its way to that very place does.
  const onItsWay = target ? (await unfinishedJobsByTarget(deps)).get(pinnedTargetKey(target)) : undefined;
  let decision: AddDecision = target
    ? (onItsWay ? { kind: 'running', jobId: onItsWay.id } : { kind: 'new', repair: false })
    : decideAdd({ jobs, catalog, identities }, addedFile(r));
  if (decision.kind === 'present') {
    const presentPath = decision.path;
    const row = catalog.find((c) => c.path === presentPath);
    if (!row || (host === deps.views.host && !(await stillOnDisk(deps, row.path, row.size_bytes)))) decision = { kind: 'new', repair: true };
  }
  const result = (job: JobJson | null, over: Partial<AddResult> = {}): AddResult => ({ job, existing: false, retried: false, repair: false, present: null, ...over });
  switch (decision.kind) {
    case 'running': {
      const row = await deps.views.job(decision.jobId);
      return row ? ok(result(jobJson(row), { existing: true })) : err({ code: 'NOT_FOUND', message: `job ${decision.jobId} vanished` });
    }
    case 'present': {
      const { jobId, path } = decision;
      const row = jobId === null ? undefined : await deps.views.job(jobId);
      const entry = catalog.find((c) => c.path === path)!;
      return ok(result(row ? jobJson(row) : null, { existing: true, present: catalogJson(entry, identities.find((i) => i.sha256 === entry.sha256), null) }));
    }
    case 'retry':
      return (await decideAndAppend(deps, decision.jobId, { type: 'retry' })).map((job) => result(job, { existing: true, retried: true }));
    case 'new': {
      const jobId = newJobId();
      const params = p.fp || p.format || p.size ? { params: { fp: p.fp, format: p.format, size: p.size } } : {};
      const ids = r.source === 'civitai' ? { modelId: r.modelId, versionId: r.versionId, fileId: r.fileId } : {};
      const repair = decision.repair;
      return (await decideAndAppend(deps, jobId, { type: 'request', requested: { jobId, input: inputOf(p), ...ids, ...params, ...(target ? { target } : {}), ...(deps.sharedLog ? { host } : {}) }, resolved: r }))
        .map((job) => result(job, { repair }));
    }
  }
}

/**
 * `updates get`: what `updates` lists for a model (its newer version, else the file CivitAI replaced under the version
 * you have) or for a Hugging Face file (the bytes its branch holds now), downloaded next to what you have.
 */
async function getUpdate(deps: DownloadMethodDeps, p: ValidParamsOf<'updates.get'>): Promise<Result<AddResult, IpcError>> {
  const { entries, updates } = await libraryState(deps.views);
  const changed = await changedFiles(deps.views, entries);
  if (p.model !== undefined) {
    const newer = updates.find((u) => u.modelId === p.model);
    if (newer) return addDownload(deps, { version: newer.latestVersionId });
    const replaced = changed.replaced.find((r) => r.modelId === p.model);
    if (replaced) return addDownload(deps, { version: replaced.versionId, ...(replaced.fileId !== undefined ? { file: replaced.fileId } : {}) });
    return err({ code: 'NOT_FOUND', message: `no update is known for model ${p.model}; see \`comfyui-dl updates --check\`` });
  }
  const ref = parseHfRef(p.ref ?? '', deps.hfEndpoint);
  if (ref.isErr()) return err({ code: 'BAD_PARAMS', message: `${ref.error.message} (\`updates get\` takes a CivitAI model id or a Hugging Face file as \`updates\` lists it)` });
  const candidates = changed.huggingface.filter((u) => u.repo === ref.value.repo && u.repoPath === ref.value.path);
  const update = candidates.find((u) => u.revision === ref.value.revision) ?? candidates[0];
  if (!update) return err({ code: 'NOT_FOUND', message: `no update is known for ${formatHfRef(ref.value)}; see \`comfyui-dl updates --check\`` });
  return addDownload(deps, { ref: formatHfRef({ repo: update.repo, revision: update.revision, path: update.repoPath }) });
}

export const pinnedTargetKey = (t: PinnedTarget): string => `${t.directory}\0${t.name}`;

/**
 * Unfinished jobs that carry a pinned target, by `<directory>\0<name>`: a second request for the same place while
 * one is on its way gets that job, and a workflow check shows it.
 */
export async function unfinishedJobsByTarget(deps: Pick<DownloadMethodDeps, 'commands' | 'views'>): Promise<Map<string, JobJson>> {
  const byTarget = new Map<string, JobJson>();
  for (const row of await deps.views.jobs(false)) {
    if (row.state === 'failed') continue;
    const { target } = await deps.commands.state(`download-${row.id}`, jobStream);
    if (target) byTarget.set(pinnedTargetKey(target), jobJson(row));
  }
  return byTarget;
}

export function downloadMethods(deps: DownloadMethodDeps) {
  const control = (command: JobCommand) => async (p: { job: string }): Promise<Result<{ job: JobJson }, IpcError>> => {
    const id = await findJob(deps.views, p.job);
    if (id.isErr()) return err(id.error);
    return (await decideAndAppend(deps, id.value, command)).map((job) => ({ job }));
  };
  return {
    add: (p: ValidParamsOf<'add'>) => addDownload(deps, p),
    'updates.get': (p: ValidParamsOf<'updates.get'>) => getUpdate(deps, p),
    queue: async (p: ValidParamsOf<'queue'>) => {
      // A log of its own (SQLite) holds this host's jobs only: another host has none here.
      if (p.host !== undefined && p.host !== deps.views.host && !deps.sharedLog) return ok({ jobs: [] });
      return ok({ jobs: (await deps.views.jobs(p.all ?? false, p.host === undefined ? 'all' : { host: p.host })).map(jobJson) });
    },
    job: async (p: { job: string }): Promise<Result<{ job: JobJson }, IpcError>> => {
      const id = await findJob(deps.views, p.job);
      if (id.isErr()) return err(id.error);
      const row = await deps.views.job(id.value);
      return row ? ok({ job: jobJson(row) }) : err({ code: 'NOT_FOUND', message: `no job ${id.value}` });
    },
    pause: control({ type: 'pause' }),
    resume: control({ type: 'resume' }),
    cancel: control({ type: 'cancel' }),
    retry: control({ type: 'retry' }),
  };
}
