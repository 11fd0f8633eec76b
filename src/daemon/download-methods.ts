import { randomBytes } from 'node:crypto';
import { err, ok, type Result } from 'neverthrow';
import type { CivitaiClient } from '../civitai/client.js';
import { redact } from '../civitai/errors.js';
import { modelRefFromIds, parseModelRef, withFileFilters, withFileId, type ModelRef } from '../civitai/refs.js';
import { decideJob, jobStream, type JobCommand } from '../events/download.decider.js';
import { resolveRef } from '../handlers/download/resolve-ref.js';
import { normalizePinnedTarget, type PinnedTarget } from '../routing/pinned-destination.js';
import type { IpcError, JobJson, ValidParamsOf } from '../ipc/protocol.js';
import type { StreamCommands } from '../store/stream-commands.js';
import { jobJson, type ViewQueries } from './views.js';

export interface DownloadMethodDeps {
  readonly commands: StreamCommands;
  readonly views: ViewQueries;
  readonly client: CivitaiClient;
  readonly civitaiUrl: string;
  readonly actor: 'cli' | 'desktop';
}

const newJobId = (): string => randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x');

function refFrom(p: ValidParamsOf<'add'>, baseUrl: string): Result<ModelRef, IpcError> {
  const parsed = p.ref !== undefined ? parseModelRef(p.ref, { baseUrl }) : modelRefFromIds({ model: p.model, version: p.version });
  const withFile = parsed
    .andThen((ref) => (p.file !== undefined ? withFileId(ref, p.file) : ok(ref)))
    .andThen((ref) => withFileFilters(ref, { fp: p.fp, format: p.format, size: p.size }));
  return withFile.mapErr((e) => ({ code: 'BAD_PARAMS', message: e.message }));
}

export async function findJob(views: ViewQueries, ref: string): Promise<Result<string, IpcError>> {
  const rows = await views.jobByRef(ref.trim().toLowerCase());
  if (rows.length === 0) return err({ code: 'NOT_FOUND', message: `no download job '${ref}'; list them with \`comfyui-dl queue --all\`` });
  if (rows.length > 1 && rows[0]!.id !== ref) return err({ code: 'BAD_PARAMS', message: `'${ref}' matches several jobs; type more of the id` });
  return ok(rows[0]!.id);
}

/** A user's command on a job, through the one command path; answers with the job as the queue view now shows it. */
async function decideAndAppend(deps: DownloadMethodDeps, jobId: string, command: JobCommand): Promise<Result<JobJson, IpcError>> {
  const decided = await deps.commands.run(`download-${jobId}`, jobStream, (state) => decideJob(state, command, jobId), { actor: deps.actor, correlationId: jobId });
  if (decided.isErr()) {
    const e = decided.error;
    if (e.kind === 'storage') return err({ code: 'FAILED', message: e.error.message });
    return err({ code: e.error.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'CONFLICT', message: e.error.message });
  }
  const row = await deps.views.job(jobId);
  return row ? ok(jobJson(row)) : err({ code: 'NOT_FOUND', message: `job ${jobId} vanished` });
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
    add: async (p: ValidParamsOf<'add'>): Promise<Result<{ job: JobJson; existing: boolean }, IpcError>> => {
      const ref = refFrom(p, deps.civitaiUrl);
      if (ref.isErr()) return err(ref.error);
      const pinned = p.target ? normalizePinnedTarget(p.target) : undefined;
      if (pinned?.isErr()) return err({ code: 'BAD_PARAMS', message: `target: ${pinned.error.message}` });
      const target = pinned?.isOk() ? pinned.value : undefined;
      const resolved = await resolveRef(deps.client, ref.value);
      if (resolved.isErr()) {
        const e = resolved.error;
        return err({ code: e.code === 'NOT_FOUND' || e.code === 'NO_VERSION' || e.code === 'NO_FILE' ? 'NOT_FOUND' : 'FAILED', message: e.message });
      }
      const r = resolved.value;
      // A pinned file is wanted at its place: a copy of the same version elsewhere does not answer the request.
      const existing = target
        ? (await unfinishedJobsByTarget(deps)).get(pinnedTargetKey(target))
        : await deps.views.liveJobForFile(r.versionId, r.fileId).then((row) => row && jobJson(row));
      if (existing) return ok({ job: existing, existing: true });
      const jobId = newJobId();
      const flags = [p.fp && `--fp ${p.fp}`, p.format && `--format ${p.format}`, p.size && `--size ${p.size}`];
      const input = redact([p.ref ?? [p.model && `--model ${p.model}`, p.version && `--version ${p.version}`, p.file && `--file ${p.file}`].filter(Boolean).join(' '), ...flags].filter(Boolean).join(' '));
      const params = p.fp || p.format || p.size ? { params: { fp: p.fp, format: p.format, size: p.size } } : {};
      return (await decideAndAppend(deps, jobId, {
        type: 'request',
        requested: { jobId, input, modelId: r.modelId, versionId: r.versionId, fileId: r.fileId, ...params, ...(target ? { target } : {}) },
        resolved: r,
      })).map((job) => ({ job, existing: false }));
    },
    queue: async (p: ValidParamsOf<'queue'>) => ok({ jobs: (await deps.views.jobs(p.all ?? false)).map(jobJson) }),
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
