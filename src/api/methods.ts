import { randomUUID } from 'node:crypto';
import { err, ok } from 'neverthrow';
import type { CivitaiClient } from '../civitai/client.js';
import type { Sources } from '../sources/source.js';
import type { HashPool } from '../hashing/index.js';
import { downloadMethods } from './download-methods.js';
import { workflowMethods } from './workflow-methods.js';
import type { Scanner } from '../handlers/scan/scanner.js';
import type { UpdatePoller } from '../handlers/updates/poller.js';
import { libraryMethods, verifyMethod } from './library-methods.js';
import { libraryState, type ViewQueries } from '../views/queries.js';
import type { IpcStats, MethodHandlers } from '../ipc/server.js';
import type { ConfigReport } from '../ipc/protocol.js';
import type { OpenedDatabase } from '../store/database.js';
import type { EventStore } from '../store/event-store.js';
import type { StreamCommands } from '../store/stream-commands.js';
import type { Scheduler } from '../handlers/download/scheduler.js';
import { toEventJson } from './event-json.js';
import type { DaemonSettings } from './settings.js';
import { PACKAGE_VERSION as VERSION } from '../config/project-root.js';

export interface MethodContext {
  readonly store: EventStore;
  readonly commands: StreamCommands;
  readonly views: ViewQueries;
  readonly client: CivitaiClient;
  readonly sources: Sources;
  readonly hashPool: HashPool;
  readonly library: LibraryHandlers;
  readonly db: OpenedDatabase;
  readonly settings: DaemonSettings;
  readonly startedAt: number;
  readonly dbPath: string;
  /** The socket's load, once the server is up. */
  readonly ipcStats: () => IpcStats | undefined;
}

/** The scan and update handlers start after the socket; until then their methods say so. */
export interface LibraryHandlers {
  scanner: Scanner | undefined;
  poller: UpdatePoller | undefined;
  scheduler: Scheduler | undefined;
}

export function buildMethods(ctx: MethodContext): MethodHandlers {
  const { store, views } = ctx;
  const downloads = downloadMethods({
    commands: ctx.commands, views, sources: ctx.sources, civitaiUrl: ctx.settings.civitaiUrl, hfEndpoint: ctx.settings.hfEndpoint,
    modelsDir: ctx.settings.modelsDir, actor: 'cli', sharedLog: ctx.db.kind === 'postgres',
  });
  return {
    ...downloads,
    ...workflowMethods({
      commands: ctx.commands, views, client: ctx.client, add: downloads.add,
      modelsDir: ctx.settings.modelsDir, extraModelPaths: ctx.settings.extraModelPaths, defaultRoot: ctx.settings.defaultRoot,
      civitaiUrl: ctx.settings.civitaiUrl,
      secrets: () => {
        const key = ctx.settings.apiKey();
        return key ? [key] : [];
      },
      hfEndpoint: ctx.settings.hfEndpoint,
    }),
    ...verifyMethod({ store, views, hashPool: ctx.hashPool, modelsDir: ctx.settings.modelsDir, add: downloads.add }),
    ...libraryMethods({ store, views, handlers: ctx.library }),
    list: async (p) => ok({ models: (await libraryState(views, p.allHosts ? 'all' : undefined)).entries }),
    'civitai.search': async (p) =>
      ctx.client.searchModels(p).match(
        (r) => ok({ items: r.items as Record<string, unknown>[], nextCursor: r.nextCursor ?? null }),
        (e) => err({ code: 'FAILED' as const, message: e.message }),
      ),
    'civitai.model': async (p) =>
      ctx.client.getModel(p.id).match(
        (model) => ok({ model: model as Record<string, unknown> }),
        (e) => err({ code: e.code === 'NOT_FOUND' ? ('NOT_FOUND' as const) : ('FAILED' as const), message: e.message }),
      ),
    'settings.set': async (p) => {
      const appended = await store.append([{
        streamId: 'settings',
        events: [{ eventId: randomUUID(), type: 'settings.changed', data: { key: p.key, value: p.value } }],
        metadata: { actor: 'cli' },
      }]);
      return appended.isOk() ? ok({ key: p.key, value: p.value }) : err({ code: 'FAILED' as const, message: appended.error.message });
    },
    status: async () => {
      const counts = await views.jobCounts();
      return ok({
        version: VERSION,
        pid: process.pid,
        uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
        position: await store.head(),
        dbPath: ctx.dbPath,
        modelsDir: ctx.settings.modelsDir,
        socket: ctx.settings.socket,
        civitaiUrl: ctx.settings.civitaiUrl,
        hfEndpoint: ctx.settings.hfEndpoint,
        concurrency: await liveSetting(views, 'concurrency', ctx.settings.concurrency),
        connections: await liveSetting(views, 'connections', ctx.settings.connections),
        queue: Object.fromEntries(counts.map((c) => [c.state, c.n])),
        host: views.host,
        hosts: await hostsStatus(views),
        scan: ctx.library.scanner?.progress() ?? null,
        storageProblem: ctx.library.scheduler?.storageProblem() ?? null,
        ipc: ctx.ipcStats(),
      });
    },
    history: async (p) => {
      const events = await store.readAll({
        after: p.since ?? 0,
        before: p.before,
        limit: p.limit ?? 1000,
        streamId: p.stream,
        category: p.category,
        categories: p.categories,
        types: p.type ? [p.type] : undefined,
        excludeTypes: p.excludeTypes,
      });
      return ok({ events: events.map(toEventJson) });
    },
    replay: async () => ok(await store.replay()),
    config: async () => ok(await liveReport(views, ctx.settings.report)),
  };
}

/** The report the daemon started with, with the settings changed since (`config set`) as `live`. */
async function liveReport(views: ViewQueries, report: ConfigReport): Promise<ConfigReport> {
  const settings = { ...report.settings };
  for (const key of ['concurrency', 'connections'] as const) {
    const value = await views.setting(key);
    if (value !== undefined) settings[key] = { value: JSON.parse(value) as number, source: 'live' };
  }
  return { ...report, settings };
}

/** A setting changed while running (an event) wins over the one the daemon started with. */
/** Every host sharing the log: when its daemon last said it was alive, and how many jobs it runs now. */
async function hostsStatus(views: ViewQueries) {
  const [hosts, running] = await Promise.all([views.hosts(), views.runningByHost()]);
  return hosts.map((h) => ({ name: h.name, lastSeenAt: h.last_seen, running: running.get(h.name) ?? 0, version: h.version }));
}

export async function liveSetting(views: ViewQueries, key: 'concurrency' | 'connections', started: number): Promise<number> {
  const value = await views.setting(key);
  return value === undefined ? started : (JSON.parse(value) as number);
}
