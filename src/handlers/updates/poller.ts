// Asks each source, now and then, about what the library holds of it, and records what changed upstream: newer
// CivitAI versions (each discovered once), files CivitAI replaced under an installed version, and Hugging Face files
// a newer commit on their branch changed.
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CivitaiClient } from '../../civitai/client.js';
import type { Log } from '../../lib/log.js';
import type { NewEvent, StoredEvent } from '../../events/envelope.js';
import { ignoreKey } from '../../projections/updates.projection.js';
import type { OpenedDatabase } from '../../store/database.js';
import type { EventStore } from '../../store/event-store.js';
import { viewQueries } from '../../views/queries.js';
import type { HfClient } from '../../huggingface/client.js';
import { checkHfFiles, readInstalledHfFiles } from './huggingface-updates.js';
import { installedFileFacts, readInstalledLibrary } from './installed-files.js';
import { detectReplacements, discoverUpdate } from './update-decision.js';

export interface UpdatePollerDeps {
  store: EventStore;
  db: OpenedDatabase;
  client: CivitaiClient;
  /** The Hugging Face Hub, for files downloaded from a branch: a newer commit there may change them. */
  hub?: HfClient;
  log: Log;
  /** 0 = never on a timer (checkNow still works). */
  intervalSeconds: number;
  /** Default false. */
  includeEarlyAccess?: boolean;
  /** Default false. */
  sameBaseModelOnly?: boolean;
  /** Jitter. */
  random?: () => number;
}

export interface UpdatePoller {
  checkNow(): Promise<{ models: number; discovered: number }>;
  stop(): void;
}

/** What one source's side of a check tracked, found (already recorded) and, if anything, why part of it failed. */
interface SourceCheck {
  readonly tracked: number;
  readonly discovered: number;
  readonly failed: string | null;
}

/** The first timed poll waits this long (or the interval, if shorter): the daemon's start belongs to the scan. */
export const FIRST_POLL_DELAY_MS = 60_000;
/** Ids per `/models?ids=` request, CivitAI's page limit. */
const MODELS_PER_REQUEST = 100;
const JITTER = 0.1;

export function startUpdatePoller(deps: UpdatePollerDeps): UpdatePoller {
  const { store, db, client, log } = deps;
  const views = viewQueries(db);
  const random = deps.random ?? Math.random;
  const intervalMs = Math.max(0, deps.intervalSeconds) * 1000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<{ models: number; discovered: number }> | undefined;

  /** Appends one event per request, so an event id already in the log skips only itself; returns the new ones. */
  async function record(requests: readonly { streamId: string; event: NewEvent }[]): Promise<StoredEvent[]> {
    if (requests.length === 0) return [];
    const head = await store.head();
    const appended = await store.append(requests.map((r) => ({ streamId: r.streamId, events: [r.event], metadata: { actor: 'daemon' as const } })));
    if (appended.isErr()) throw new Error(`the update check could not record its findings: ${appended.error.message}`);
    return appended.value.filter((e) => e.position > head);
  }

  /** CivitAI's side: every tracked model, 100 per request; newer versions and replaced files, recorded per request. */
  async function checkCivitai(): Promise<SourceCheck> {
    const library = await readInstalledLibrary(views);
    const modelIds = [...new Set(library.files.map((f) => f.modelId))];
    const ignored = await views.ignores();
    const rules = { includeEarlyAccess: deps.includeEarlyAccess ?? false, sameBaseModelOnly: deps.sameBaseModelOnly ?? false, now: Date.now() };
    let discovered = 0;
    let failed: string | null = null;
    for (let at = 0; at < modelIds.length; at += MODELS_PER_REQUEST) {
      const answer = await client.getModels({ ids: modelIds.slice(at, at + MODELS_PER_REQUEST) });
      if (answer.isErr()) {
        // The client already waited out what was transient; these models are asked again next time.
        failed ??= answer.error.message;
        continue;
      }
      const events: { streamId: string; event: NewEvent }[] = [];
      for (const model of answer.value) {
        const update = discoverUpdate(model, library.files, library, rules);
        if (update && !ignored.has(ignoreKey(model.id, null)) && !ignored.has(ignoreKey(model.id, update.versionId))) {
          events.push({ streamId: `model-${model.id}`, event: { eventId: `update:${update.versionId}`, type: 'model.version_discovered', data: update } });
        }
        const ofModel = library.files.filter((f) => f.modelId === model.id);
        const facts = new Map(await Promise.all(ofModel.map(async (f) => [f, await installedFileFacts(store, f)] as const)));
        for (const replaced of detectReplacements(model, ofModel, (f) => facts.get(f))) {
          events.push({
            streamId: `model-${model.id}`,
            event: { eventId: `replaced:${replaced.versionId}:${replaced.remoteSha256}`, type: 'model.file_replaced', data: replaced },
          });
        }
      }
      discovered += (await record(events)).filter((e) => e.type === 'model.version_discovered').length;
      await yieldToEventLoop();
    }
    return { tracked: modelIds.length, discovered, failed };
  }

  /** Hugging Face's side: every file downloaded from a branch or tag, against what the branch holds now. */
  async function checkHuggingface(hub: HfClient): Promise<SourceCheck> {
    const files = await readInstalledHfFiles(views, store);
    const found = await checkHfFiles(hub, files);
    return { tracked: files.length, discovered: (await record(found.events)).length, failed: found.failed };
  }

  async function check(): Promise<{ models: number; discovered: number }> {
    const checks = [await checkCivitai(), ...(deps.hub ? [await checkHuggingface(deps.hub)] : [])];
    const tracked = checks.reduce((n, c) => n + c.tracked, 0);
    const discovered = checks.reduce((n, c) => n + c.discovered, 0);
    const failed = checks.find((c) => c.failed !== null)?.failed ?? null;
    if (failed !== null) log(`update check: ${failed}`);
    // Tracked CivitAI models and Hugging Face files alike.
    await record([{ streamId: 'updates', event: { eventId: randomUUID(), type: 'updates.checked', data: { models: tracked, discovered, failed } } }]);
    return { models: tracked, discovered };
  }

  function checkNow(): Promise<{ models: number; discovered: number }> {
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  }

  const jittered = (ms: number): number => ms * (1 - JITTER + 2 * JITTER * random());

  function schedule(delayMs: number): void {
    if (stopped || intervalMs === 0) return;
    timer = setTimeout(() => {
      checkNow()
        .catch((e: unknown) => log(`update check failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => schedule(jittered(intervalMs)));
    }, delayMs);
    // Polling alone never keeps the daemon alive.
    timer.unref();
  }

  schedule(jittered(Math.min(FIRST_POLL_DELAY_MS, intervalMs)));

  return {
    checkNow,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
