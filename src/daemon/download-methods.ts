import { randomBytes } from 'node:crypto';
import { err, ok, type Result } from 'neverthrow';
import type { CivitaiClient } from '../civitai/client.js';
import { redact } from '../civitai/errors.js';
import { modelRefFromIds, parseModelRef, withFileFilters, withFileId, type ModelRef } from '../civitai/refs.js';
import { decideJob, foldJob, type JobCommand } from '../events/download.decider.js';
import type { DomainEvent } from '../events/index.js';
import { resolveRef } from '../handlers/download/resolve-ref.js';
import type { IpcError, JobJson, ValidParamsOf } from '../ipc/protocol.js';
import type { EventStore } from '../store/event-store.js';
import { jobJson, type ViewQueries } from './views.js';

export interface DownloadMethodDeps {
  readonly store: EventStore;
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

export function findJob(views: ViewQueries, ref: string): Result<string, IpcError> {
  const rows = views.jobByRef(ref.trim().toLowerCase());
  if (rows.length === 0) return err({ code: 'NOT_FOUND', message: `no download job '${ref}'; list them with \`comfyui-dl queue --all\`` });
  if (rows.length > 1 && rows[0]!.id !== ref) return err({ code: 'BAD_PARAMS', message: `'${ref}' matches several jobs; type more of the id` });
  return ok(rows[0]!.id);
}

/** Appends what the decider decided, with ids that make a retried request a no-op. */
function decideAndAppend(deps: DownloadMethodDeps, jobId: string, command: JobCommand): Result<JobJson, IpcError> {
  const streamId = `download-${jobId}`;
  const history = deps.store.readStream(streamId);
  const decided = decideJob(foldJob(history as unknown as DomainEvent[]), command, jobId);
  if (decided.isErr()) return err({ code: decided.error.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'CONFLICT', message: decided.error.message });
  if (decided.value.length > 0) {
    const appended = deps.store.append([{
      streamId,
      expectedVersion: history.length,
      events: decided.value.map((e, i) => ({ ...e, eventId: `${jobId}:${history.length + i + 1}` })),
      metadata: { actor: deps.actor, correlationId: jobId },
    }]);
    if (appended.isErr()) return err({ code: appended.error.code === 'CONFLICT' ? 'CONFLICT' : 'FAILED', message: appended.error.message });
  }
  const row = deps.views.job(jobId);
  return row ? ok(jobJson(row)) : err({ code: 'NOT_FOUND', message: `job ${jobId} vanished` });
}

export function downloadMethods(deps: DownloadMethodDeps) {
  const control = (command: JobCommand) => async (p: { job: string }) =>
    findJob(deps.views, p.job).andThen((id) => decideAndAppend(deps, id, command)).map((job) => ({ job }));
  return {
    add: async (p: ValidParamsOf<'add'>): Promise<Result<{ job: JobJson; existing: boolean }, IpcError>> => {
      const ref = refFrom(p, deps.civitaiUrl);
      if (ref.isErr()) return err(ref.error);
      const resolved = await resolveRef(deps.client, ref.value);
      if (resolved.isErr()) {
        const e = resolved.error;
        return err({ code: e.code === 'NOT_FOUND' || e.code === 'NO_VERSION' || e.code === 'NO_FILE' ? 'NOT_FOUND' : 'FAILED', message: e.message });
      }
      const r = resolved.value;
      const existing = deps.views.liveJobForFile(r.versionId, r.fileId);
      if (existing) return ok({ job: jobJson(existing), existing: true });
      const jobId = newJobId();
      const flags = [p.fp && `--fp ${p.fp}`, p.format && `--format ${p.format}`, p.size && `--size ${p.size}`];
      const input = redact([p.ref ?? [p.model && `--model ${p.model}`, p.version && `--version ${p.version}`, p.file && `--file ${p.file}`].filter(Boolean).join(' '), ...flags].filter(Boolean).join(' '));
      const params = p.fp || p.format || p.size ? { params: { fp: p.fp, format: p.format, size: p.size } } : {};
      return decideAndAppend(deps, jobId, {
        type: 'request',
        requested: { jobId, input, modelId: r.modelId, versionId: r.versionId, fileId: r.fileId, ...params },
        resolved: r,
      }).map((job) => ({ job, existing: false }));
    },
    queue: async (p: ValidParamsOf<'queue'>) => ok({ jobs: deps.views.jobs(p.all ?? false).map(jobJson) }),
    job: async (p: { job: string }) =>
      findJob(deps.views, p.job).andThen((id) => {
        const row = deps.views.job(id);
        return row ? ok({ job: jobJson(row) }) : err<never, IpcError>({ code: 'NOT_FOUND', message: `no job ${id}` });
      }),
    pause: control({ type: 'pause' }),
    resume: control({ type: 'resume' }),
    cancel: control({ type: 'cancel' }),
    retry: control({ type: 'retry' }),
  };
}
