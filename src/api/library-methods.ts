import { randomUUID } from 'node:crypto';
import { err, ok, type Result } from 'neverthrow';
import type { Scanner } from '../handlers/scan/scanner.js';
import type { UpdatePoller } from '../handlers/updates/poller.js';
import { catalogPathsOf, verifyFiles } from '../handlers/verify/verify.js';
import type { HashPool } from '../hashing/index.js';
import type { AddResult, IpcError, ResultOf, ValidParamsOf } from '../ipc/protocol.js';

type VerifyResult = ResultOf<'verify'>['results'][number];
import type { CatalogRow } from '../projections/catalog.projection.js';
import { formatHfRef } from '../huggingface/refs.js';
import { modelFileSchema } from '../civitai/schemas.js';
import { fileSha256 } from '../civitai/select.js';
import type { EventStore } from '../store/event-store.js';
import { changedFiles, libraryState, type ViewQueries } from '../views/queries.js';

export interface LibraryMethodDeps {
  readonly store: EventStore;
  readonly views: ViewQueries;
  readonly handlers: { readonly scanner: Scanner | undefined; readonly poller: UpdatePoller | undefined };
}

const starting: IpcError = { code: 'FAILED', message: 'the daemon is still starting; try again in a moment' };

export interface VerifyMethodDeps {
  readonly store: EventStore;
  readonly views: ViewQueries;
  readonly hashPool: HashPool;
  readonly modelsDir: string;
  /** `add`, for `verify --repair`: a file that is missing or changed is downloaded again by a fresh job. */
  readonly add: (params: ValidParamsOf<'add'>) => Promise<Result<AddResult, IpcError>>;
}

const failed = (e: unknown): IpcError => ({ code: 'FAILED', message: e instanceof Error ? e.message : String(e) });

export function libraryMethods(deps: LibraryMethodDeps) {
  const { store, views } = deps;
  const updates = async (): Promise<ResultOf<'updates'>> => {
    const { entries, updates: available } = await libraryState(views);
    return { updates: available, ...(await changedFiles(views, entries)) };
  };
  return {
    scan: async (p: ValidParamsOf<'scan'>): Promise<Result<ResultOf<'scan'>, IpcError>> => {
      const scanner = deps.handlers.scanner;
      if (!scanner) return err(starting);
      const wasRunning = scanner.running;
      const run = scanner.scan();
      if (!p.wait) {
        run.catch(() => undefined);
        return ok({ started: !wasRunning, summary: null });
      }
      try {
        return ok({ started: !wasRunning, summary: await run });
      } catch (e) {
        return err(failed(e));
      }
    },
    updates: async (p: ValidParamsOf<'updates'>): Promise<Result<ResultOf<'updates'>, IpcError>> => {
      if (p.check) {
        if (!deps.handlers.poller) return err(starting);
        try {
          await deps.handlers.poller.checkNow();
        } catch (e) {
          return err(failed(e));
        }
      }
      return ok(await updates());
    },
    'updates.ignore': async (p: ValidParamsOf<'updates.ignore'>): Promise<Result<ResultOf<'updates.ignore'>, IpcError>> => {
      let modelId = p.model;
      const versionId = p.version ?? null;
      if (modelId === undefined) {
        modelId = (await views.updates()).find((u) => u.latest_version_id === versionId)?.model_id;
        if (modelId === undefined) return err({ code: 'NOT_FOUND', message: `no update to version ${versionId} is known; see \`comfyui-dl updates\`` });
      }
      const appended = await store.append([{
        streamId: `model-${modelId}`,
        events: [{ eventId: randomUUID(), type: 'update.ignored', data: { modelId, versionId } }],
        metadata: { actor: 'cli' },
      }]);
      return appended.isOk() ? ok({ modelId, versionId }) : err({ code: 'FAILED', message: appended.error.message });
    },
  };
}

export function verifyMethod(deps: VerifyMethodDeps) {
  const { store, views } = deps;
  /** A fresh download of a catalogued file, through `add` (which sees it missing or changed: a repair). */
  const repair = async (row: CatalogRow): Promise<NonNullable<VerifyResult['repair']>> => {
    const params = await downloadOf(store, views, row);
    if (params === undefined) return { jobId: null, intactAt: null, error: 'no source is known for this file (a scan found it and CivitAI did not know its hash)' };
    const added = await deps.add(params);
    return added.match(
      // An intact copy elsewhere (the file was repaired before) needs no download.
      (r) => (r.present !== null ? { jobId: null, intactAt: r.present.path, error: null } : { jobId: r.job?.id ?? null, intactAt: null, error: null }),
      (e) => ({ jobId: null, intactAt: null, error: e.message }),
    );
  };
  return {
    verify: async (p: ValidParamsOf<'verify'>): Promise<Result<ResultOf<'verify'>, IpcError>> => {
      const catalog = await views.catalog();
      const byPath = new Map(catalog.map((r) => [r.path, r]));
      const unknown: ResultOf<'verify'>['results'] = [];
      const targets = p.paths === undefined
        ? catalog.map((r) => ({ path: r.path, sha256: r.sha256 }))
        : p.paths.flatMap((input) => {
            const row = catalogPathsOf(input, deps.modelsDir).map((c) => byPath.get(c)).find(Boolean);
            if (!row) unknown.push({ path: input, status: 'unknown', expected: null, actual: null });
            return row ? [{ path: row.path, sha256: row.sha256 }] : [];
          });
      let results: ResultOf<'verify'>['results'];
      try {
        results = await verifyFiles({ store, hashPool: deps.hashPool, modelsDir: deps.modelsDir }, targets);
      } catch (e) {
        return err(failed(e));
      }
      if (p.repair) {
        results = await Promise.all(results.map(async (r) => (r.status === 'missing' || r.status === 'changed' ? { ...r, repair: await repair(byPath.get(r.path)!) } : r)));
      }
      return ok({ results: [...results, ...unknown] });
    },
  };
}

/**
 * What to download to bring a catalogued file back: the file its job downloaded (a Hugging Face file at the commit
 * its bytes came from), or the CivitAI file a scan identified it as.
 */
async function downloadOf(store: EventStore, views: ViewQueries, row: CatalogRow): Promise<ValidParamsOf<'add'> | undefined> {
  const job = row.job_id === null ? undefined : await views.job(row.job_id);
  if (job?.source === 'huggingface' && job.repo !== null && job.revision !== null && job.repo_path !== null) {
    return { ref: formatHfRef({ repo: job.repo, revision: job.revision, path: job.repo_path }) };
  }
  if (job?.version_id != null && job.file_id !== null) return { version: job.version_id, file: job.file_id };
  const identified = (await store.readStream(`file-${row.sha256}`)).findLast((e) => e.type === 'file.identified')?.data as
    | { versionId: number; civitai: Record<string, unknown> }
    | undefined;
  if (!identified) return undefined;
  const files = Array.isArray(identified.civitai.files) ? identified.civitai.files : [];
  const file = files.map((f) => modelFileSchema.safeParse(f)).find((f) => f.success && fileSha256(f.data) === row.sha256)?.data;
  return { version: identified.versionId, ...(file ? { file: file.id } : {}) };
}
