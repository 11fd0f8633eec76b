import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { eventRegistry } from '../events/index.js';
import { redactingRegistry } from '../events/redacting-registry.js';
import type { IpcStats, SubscribeHandler } from '../ipc/server.js';
import { startIpcServer } from '../ipc/server.js';
import type { EventStore } from '../store/event-store.js';
import type { OpenedDatabase } from '../store/database.js';
import { openEventLog } from '../data-dir/open-log.js';
import { passwordOf } from '../lib/redact.js';
import { createStreamCommands } from '../store/stream-commands.js';
import { liveFrom, type LiveItem } from '../store/live.js';
import { toEventJson } from '../api/event-json.js';
import type { Log } from '../lib/log.js';
import { concatMap, Subject } from 'rxjs';
import { createCivitaiClient } from '../civitai/client.js';
import { createHfClient } from '../huggingface/client.js';
import { civitaiSource } from '../sources/civitai.js';
import { huggingfaceSource } from '../sources/huggingface.js';
import type { Sources } from '../sources/source.js';
import { ConnectionBudget } from '../transfer/index.js';
import { createHashPool } from '../hashing/index.js';
import { runJob, type JobRunnerDeps } from '../handlers/download/job-runner.js';
import { startScheduler } from '../handlers/download/scheduler.js';
import { createTransferSlots } from '../handlers/download/slots.js';
import { startNotifications } from '../handlers/notify/notifications.js';
import { createScanner } from '../handlers/scan/scanner.js';
import { startUpdatePoller } from '../handlers/updates/poller.js';
import { createNotifier } from '../notify/notifier.js';
import { writeSidecarWithPreview } from '../handlers/download/sidecar.js';
import { modelForSidecar } from '../handlers/sidecar/model-data.js';
import { extraScanRoots } from '../routing/destinations.js';
import { loadModelRoots } from '../routing/destinations-io.js';
import { buildMethods, liveSetting, type LibraryHandlers } from '../api/methods.js';
import { jobJson, viewQueries } from '../views/queries.js';
import { createJobFrames } from '../api/job-frames.js';
import type { JobJson } from '../ipc/protocol.js';
import { acquireDataDirLock } from '../data-dir/lock.js';
import type { DaemonSettings } from '../api/settings.js';
import { PACKAGE_VERSION as VERSION } from '../config/project-root.js';

export interface RunningDaemon {
  readonly store: EventStore;
  /** Resolves once no download is running or waiting. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export type DaemonStartError = { readonly code: string; readonly message: string };

/** `abortStart` aborts a start that is still waiting for the database. */
export async function startDaemon(settings: DaemonSettings, log: Log, abortStart?: AbortSignal): Promise<Result<RunningDaemon, DaemonStartError>> {
  try {
    mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    return err({ code: 'DATA_DIR_UNWRITABLE', message: `cannot create the data folder ${settings.dataDir}: ${(e as Error).message}; choose another with --data-dir or COMFYUI_DL_DATA_DIR` });
  }
  const lock = acquireDataDirLock(settings.dataDir);
  if (lock.isErr()) return err(lock.error);

  const secrets = (): string[] => [settings.apiKey(), settings.hfToken(), ...passwordOf(settings.databaseUrl() ?? '')].filter((secret): secret is string => !!secret);
  const opened = await openEventLog({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl(), host: settings.host }, redactingRegistry(eventRegistry, secrets), log, abortStart);
  if (opened.isErr()) {
    lock.value.release();
    return err(opened.error);
  }
  const { db, store } = opened.value;
  const dbPath = db.location;
  await store.catchUpProjections();
  const commands = createStreamCommands(store);

  const startedAt = Date.now();
  const views = viewQueries(db, settings.host);
  const client = createCivitaiClient({ baseUrl: settings.civitaiUrl, apiKey: settings.apiKey() });
  const hub = createHfClient({ endpoint: settings.hfEndpoint, token: settings.hfToken() });
  const sources: Sources = { civitai: civitaiSource(client), huggingface: huggingfaceSource(hub, settings.hfEndpoint) };
  const hashPool = createHashPool({ size: 2 });
  const progress$ = new Subject<{ jobId: string; bytesDone: number; bytesTotal: number }>();
  const staging = join(settings.modelsDir, '.comfyui-dl', 'staging');
  mkdirSync(staging, { recursive: true });
  const concurrency = (): Promise<number> => liveSetting(views, 'concurrency', settings.concurrency);
  const jobDeps: JobRunnerDeps = {
    commands, sources, log,
    modelsDir: settings.modelsDir,
    stagingDir: staging,
    quarantineDir: join(settings.dataDir, 'quarantine'),
    connections: () => liveSetting(views, 'connections', settings.connections),
    connectionBudget: new ConnectionBudget(settings.totalConnections),
    transferSlots: createTransferSlots(concurrency),
    progress: (jobId, bytesDone, bytesTotal) => progress$.next({ jobId, bytesDone, bytesTotal }),
    router: { modelsDir: settings.modelsDir, template: settings.pathTemplate, extraModelPaths: settings.extraModelPaths, preferredRoot: settings.defaultRoot, log },
    writeSidecar: async (modelPath, job, decision) =>
      writeSidecarWithPreview({ maxNsfwLevel: settings.previewMaxNsfwLevel }, modelPath, job, decision,
        job.resolved?.source === 'civitai' ? await modelForSidecar(client, job.resolved.modelId, log) : null),
    transferTuning: settings.transferTuning,
  };
  const subscribe: SubscribeHandler = (params, push) => {
    const filter = { streamId: params.stream, category: params.category, types: params.types };
    // Without `from`, the feed starts at the head as it is when the subscription is made: a live feed counts
    // from the subscription, not from the first event that happens to arrive after it.
    const from$ = params.from === undefined ? store.head() : Promise.resolve(Math.max(0, params.from - 1));
    const jobFrames = params.jobs === true ? createJobFrames(async (id) => {
      const row = await views.job(id);
      return row && jobJson(row);
    }) : undefined;
    const pushJobs = (jobs: readonly JobJson[]): boolean => jobs.every((job) => push({ t: 'job', job }));
    // In order, one item at a time: a job frame follows the event that changed it.
    const deliver = async (item: LiveItem): Promise<boolean> =>
      item.kind === 'event'
        ? push({ t: 'event', event: toEventJson(item.event) }) && pushJobs((await jobFrames?.afterEvent(item.event)) ?? [])
        : pushJobs((await jobFrames?.caughtUp()) ?? []) && push({ t: 'caught_up', position: item.position });
    let ended = false;
    let sub: { unsubscribe(): void } | undefined;
    void from$.then((from) => {
      if (ended) return;
      sub = liveFrom(store, from, filter)
        .pipe(concatMap(async (item) => {
          if (!ended && !(await deliver(item))) sub?.unsubscribe();
        }))
        .subscribe({ error: (e: Error) => log(`live feed: ${e.message}`) });
    });
    // Transfer progress is not in the log (it would flood it): it reaches the subscribers that follow downloads.
    const wantsProgress = (jobId: string) =>
      (!params.stream || params.stream === `download-${jobId}`) && (!params.category || params.category === 'download') && !params.types;
    const progress = progress$.subscribe((p) => {
      if (wantsProgress(p.jobId) && !push({ t: 'progress', jobId: p.jobId, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal })) progress.unsubscribe();
    });
    return () => {
      ended = true;
      sub?.unsubscribe();
      progress.unsubscribe();
    };
  };

  // Filled in once the handlers start, after the socket is up; the methods read it when called.
  const library: LibraryHandlers = { scanner: undefined, poller: undefined, scheduler: undefined };
  let ipcStats: () => IpcStats | undefined = () => undefined;
  const server = await startIpcServer({
    socketPath: settings.socket,
    version: VERSION,
    log,
    methods: buildMethods({ store, commands, db, views, client, sources, hashPool, settings, startedAt, dbPath, library, ipcStats: () => ipcStats() }),
    subscribe,
  });
  if (server.isErr()) {
    await store.close();
    await db.close();
    lock.value.release();
    return err(server.error);
  }
  ipcStats = server.value.stats;
  const scanner = createScanner({
    store, db, client, log, host: settings.host,
    modelsDir: settings.modelsDir,
    extraRoots: async () => {
      const loaded = await loadModelRoots({ modelsDir: settings.modelsDir, extraModelPaths: settings.extraModelPaths });
      for (const w of loaded.warnings) log(`scan: ${w}`);
      return extraScanRoots(loaded.roots);
    },
    ownDirs: [join(settings.modelsDir, '.comfyui-dl'), join(settings.dataDir, 'quarantine')],
    previewMaxNsfwLevel: settings.previewMaxNsfwLevel,
  });
  const poller = startUpdatePoller({
    store, db, client, hub, log,
    intervalSeconds: settings.updateIntervalSeconds,
    includeEarlyAccess: settings.earlyAccessUpdates,
    sameBaseModelOnly: settings.sameBaseModelUpdates,
  });
  const notifier = createNotifier({ appName: 'comfyui-dl', secrets: secrets() });
  const notifications = startNotifications({ store, db, notifier, log });
  const scheduler = startScheduler({
    store, log,
    schedulable: () => views.schedulableJobs(),
    concurrency,
    runAhead: true,
    run: (jobId, signal) => runJob(jobDeps, jobId, signal),
  });
  const heartbeat = startHeartbeat(db, settings.host, log);
  library.scanner = scanner;
  library.poller = poller;
  library.scheduler = scheduler;
  // The startup scan: files that appeared, moved or vanished while the daemon was down.
  void scanner.scan().catch((e: Error) => log(`startup scan failed: ${e.message}`));
  log(`comfyui-dl ${VERSION} daemon: log ${dbPath} at position ${await store.head()}, socket ${settings.socket}, models ${settings.modelsDir}`);

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await server.value.close();
    // Transfers stop at their last durable chunk; the next start resumes them from the log.
    await scheduler.stop();
    heartbeat.stop();
    poller.stop();
    notifications.stop();
    notifier.close();
    await hashPool.close();
    // No append is half-done here (SQLite's are synchronous, PostgreSQL's roll back); closing checkpoints SQLite's WAL.
    await store.close();
    await db.close();
    lock.value.release();
    log('comfyui-dl daemon stopped');
  };
  return ok({ store, idle: () => scheduler.idle(), stop: () => (stopping ??= stop()) });
}

const HEARTBEAT_MS = 30_000;

/** Notes in the `hosts` table that this host's daemon is up, now and every 30 s: `status` tells when each was last seen. */
function startHeartbeat(db: OpenedDatabase, host: string, log: Log) {
  let failing = false;
  const beat = async (): Promise<void> => {
    const row = { name: host, last_seen: new Date().toISOString(), version: VERSION };
    try {
      await db.kysely.insertInto('hosts').values(row).onConflict((c) => c.column('name').doUpdateSet({ last_seen: row.last_seen, version: row.version })).execute();
      if (failing) log('heartbeat: the database answers again');
      failing = false;
    } catch (e) {
      if (!failing) log(`heartbeat: cannot note this host as seen (${(e as Error).message}); trying again every ${HEARTBEAT_MS / 1000} s`);
      failing = true;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
