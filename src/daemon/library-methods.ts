import { randomUUID } from 'node:crypto';
import { err, ok, type Result } from 'neverthrow';
import type { Scanner } from '../handlers/scan/scanner.js';
import type { UpdatePoller } from '../handlers/updates/poller.js';
import { catalogPathsOf, verifyFiles } from '../handlers/verify/verify.js';
import type { HashPool } from '../hashing/index.js';
import type { IpcError, ResultOf, ValidParamsOf } from '../ipc/protocol.js';
import type { EventStore } from '../store/event-store.js';
import { libraryState, type ViewQueries } from './views.js';

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
}

const failed = (e: unknown): IpcError => ({ code: 'FAILED', message: e instanceof Error ? e.message : String(e) });

export function libraryMethods(deps: LibraryMethodDeps) {
  const { store, views } = deps;
  const updates = async (): Promise<ResultOf<'updates'>> => {
    const { entries, updates: available } = await libraryState(views);
    return {
      updates: available,
      replaced: (await views.replacements()).map((r) => {
        const entry = entries.find((e) => e.sha256 === r.installed_sha256 && !e.missing) ?? entries.find((e) => e.sha256 === r.installed_sha256);
        return {
          modelId: r.model_id, versionId: r.version_id, installedSha256: r.installed_sha256, remoteSha256: r.remote_sha256,
          path: entry?.path ?? null, modelName: entry?.modelName ?? null, versionName: entry?.versionName ?? null, baseModel: entry?.baseModel ?? null,
        };
      }),
    };
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
      try {
        return ok({ results: [...(await verifyFiles({ store, hashPool: deps.hashPool, modelsDir: deps.modelsDir }, targets)), ...unknown] });
      } catch (e) {
        return err(failed(e));
      }
    },
  };
}
