// A daemon on folders of its own (data, models, socket, HOME, XDG_*), so a run never touches the user's folders
// and a version installed in one round is downloaded again in the next.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectIpc } from '../../src/ipc/client.js';
import { projectRoot } from '../../src/config/project-root.js';
import { median } from './measure.js';
import { processCpuSeconds, runMeasured, startProcess, stopProcess, type Sample } from './proc.js';

const bin = join(projectRoot(import.meta.url), 'bin', 'comfyui-dl');

export interface FreshDaemonOptions {
  readonly apiUrl: string;
  /** The daemon's folders go in a new folder under this one. */
  readonly parentDir: string;
  /** COMFYUI_DL_CONNECTIONS; the daemon's default when absent. */
  readonly connections?: number;
  /** COMFYUI_DL_CONCURRENCY; the daemon's default when absent. */
  readonly concurrency?: number;
  /** Extra node flags for the daemon, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  readonly startTimeoutMs: number;
}

export interface FreshDaemon {
  readonly pid: number;
  readonly modelsDir: string;
  /** Holds events.db. */
  readonly dataDir: string;
  /** `comfyui-dl add --version <id> --wait`, timed; CPU is the CLI's plus what the daemon spent meanwhile. */
  add(versionId: number, timeoutMs: number): Promise<Sample>;
  /**
   * Adds every version at once over one connection, as a client queueing a batch does, and waits until all are
   * completed; timed from the first add. CPU is the daemon's.
   */
  addMany(versionIds: readonly number[], timeoutMs: number): Promise<Sample>;
  /** Stops the daemon (SIGTERM, so it exits cleanly) and deletes its folders. */
  dispose(): Promise<void>;
}

function daemonEnv(dir: string, options: FreshDaemonOptions): NodeJS.ProcessEnv {
  // The user's key and settings must not leak into a benchmark daemon.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COMFYUI') && !k.startsWith('CIVITAI') && !k.startsWith('XDG_')));
  return {
    ...inherited,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'share'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    COMFYUI_DL_DATA_DIR: join(dir, 'data'),
    COMFYUI_DL_SOCKET: join(dir, 'run', 'daemon.sock'),
    COMFYUI_MODELS_DIR: join(dir, 'models'),
    CIVITAI_BASE_URL: options.apiUrl,
    COMFYUI_DL_UPDATE_INTERVAL: '0',
    ...(options.connections === undefined ? {} : { COMFYUI_DL_CONNECTIONS: String(options.connections) }),
    ...(options.concurrency === undefined ? {} : { COMFYUI_DL_CONCURRENCY: String(options.concurrency) }),
  };
}

async function waitForSocket(socket: string, daemon: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const connected = await connectIpc(socket, { timeoutMs: 500, client: 'bench' });
    if (connected.isOk()) return connected.value.close();
    if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode}) before opening its socket`);
    if (performance.now() > deadline) throw new Error(`the daemon did not answer on its socket within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The placed file: the one file of that name under the models folder. */
function findPlaced(modelsDir: string, fileName: string): string | undefined {
  const hits = readdirSync(modelsDir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith(fileName));
  return hits.length === 1 && hits[0] !== undefined ? join(modelsDir, hits[0]) : undefined;
}

export async function startFreshDaemon(options: FreshDaemonOptions): Promise<FreshDaemon> {
  const dir = mkdtempSync(join(options.parentDir, 'daemon-'));
  const env = daemonEnv(dir, options);
  const daemon = startProcess(process.execPath, [...(options.nodeArgs ?? []), bin, 'daemon'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  // Its log is only worth showing when it fails to start.
  let log = '';
  daemon.stderr?.setEncoding('utf8').on('data', (s: string) => void (log = (log + s).slice(-4096)));
  const dispose = async (): Promise<void> => {
    await stopProcess(daemon);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForSocket(env.COMFYUI_DL_SOCKET ?? '', daemon, options.startTimeoutMs);
  } catch (error) {
    await dispose();
    throw new Error(`${(error as Error).message}\n${log.trim()}`);
  }
  const pid = daemon.pid ?? -1;
  const modelsDir = env.COMFYUI_MODELS_DIR ?? '';
  const socket = env.COMFYUI_DL_SOCKET ?? '';
  return {
    pid,
    modelsDir,
    dataDir: env.COMFYUI_DL_DATA_DIR ?? '',
    async add(versionId, timeoutMs) {
      const daemonBefore = processCpuSeconds(pid);
      const cli = await runMeasured(process.execPath, [bin, 'add', '--version', String(versionId), '--wait'], { env, timeoutMs });
      const cpuSeconds = cli.cpuSeconds + processCpuSeconds(pid) - daemonBefore;
      return { ms: cli.ms, cpuSeconds, note: await describeRun(socket) };
    },
    async addMany(versionIds, timeoutMs) {
      const client = (await connectIpc(socket, { timeoutMs: 5000, client: 'bench' }))._unsafeUnwrap();
      try {
        const daemonBefore = processCpuSeconds(pid);
        const t0 = performance.now();
        // Told by the live feed when each job ends, rather than asking for the queue over and over (which would
        // cost the daemon more than its downloads).
        const placed = new Set<string>();
        let ids: Set<string> | undefined;
        let settle: (error?: Error) => void = () => undefined;
        const ended = new Promise<void>((resolve, reject) => {
          settle = (error) => (error === undefined ? resolve() : reject(error));
        });
        const check = (): void => {
          if (ids !== undefined && [...ids].every((id) => placed.has(id))) settle();
        };
        const sub = client.subscribe({ category: 'download', types: [...ENDINGS] }, (frame) => {
          if (frame.t === 'end') return settle(new Error(`the daemon ended the subscription: ${frame.error?.message ?? ''}`));
          if (frame.t !== 'event') return;
          const id = frame.event.streamId.slice('download-'.length);
          if (frame.event.type !== 'download.placed') return settle(new Error(`job ${id}: ${frame.event.type} ${JSON.stringify(frame.event.data).slice(0, 300)}`));
          placed.add(id);
          check();
        });
        const timer = setTimeout(() => settle(new Error(`not all ${versionIds.length} jobs completed within ${timeoutMs / 1000} s`)), timeoutMs);
        try {
          const added = await Promise.all(versionIds.map(async (version) => (await client.request('add', { version }))._unsafeUnwrap().job?.id));
          ids = new Set(added.filter((id): id is string => id !== undefined));
          check();
          await ended;
        } finally {
          clearTimeout(timer);
          sub.close();
        }
        const ms = performance.now() - t0;
        return { ms, cpuSeconds: processCpuSeconds(pid) - daemonBefore, note: await describeRun(socket) };
      } finally {
        await client.close();
      }
    },
    dispose,
  };
}

/** Throws unless exactly one file of that name was placed. */
export function assertPlacedAnywhere(daemon: FreshDaemon, fileName: string): void {
  if (findPlaced(daemon.modelsDir, fileName) === undefined) throw new Error(`no ${fileName} under the models folder after the batch completed`);
}

/** Throws unless exactly one file of that name and size was placed: `add --wait` exiting 0 is not proof enough. */
export function assertPlaced(daemon: FreshDaemon, fileName: string, sizeBytes: number): void {
  const placed = findPlaced(daemon.modelsDir, fileName);
  if (placed === undefined) throw new Error(`no ${fileName} under the models folder after add --wait`);
  const size = statSync(placed).size;
  if (size !== sizeBytes) throw new Error(`${placed} has ${size} bytes, expected ${sizeBytes}`);
}

/** Events that end a job's run in a batch: only the first is a success. */
const ENDINGS = ['download.placed', 'download.failed', 'download.hash_mismatched', 'download.paused', 'download.cancelled'] as const;

/**
 * What the daemon's log says about the run just made: where the time went (resolve and probe, transfer, verify and
 * place; the median job's, for a batch) and anything that slows a download down (reconnects, refreshed URLs,
 * restarts), with the segment splits.
 */
async function describeRun(socket: string): Promise<string> {
  const client = await connectIpc(socket, { timeoutMs: 5000, client: 'bench' });
  if (client.isErr()) return `no record: ${client.error.message}`;
  try {
    const history = await client.value.request('history', { limit: 10_000, category: 'download', excludeTypes: ['download.chunk_written'] });
    if (history.isErr()) return `no record: ${history.error.message}`;
    const count = (type: string): number => history.value.events.filter((e) => e.type === type).length;
    const byJob = new Map<string, Map<string, number>>();
    for (const e of history.value.events) {
      const times = byJob.get(e.streamId) ?? new Map<string, number>();
      if (!times.has(e.type)) times.set(e.type, Date.parse(e.recordedAt));
      byJob.set(e.streamId, times);
    }
    const jobs = [...byJob.values()];
    const spanOf = (job: Map<string, number>, from: string, to: string): number => ((job.get(to) ?? NaN) - (job.get(from) ?? NaN)) / 1000;
    const medianSpan = (from: string, to: string): string => median(jobs.map((job) => spanOf(job, from, to)).filter((n) => !Number.isNaN(n))).toFixed(2);
    const retried = history.value.events.filter((e) => e.type === 'download.connection_retried').map((e) => String(e.data.failure));
    const kinds = [...new Set(retried)].map((k) => `${retried.filter((r) => r === k).length} ${k}`).join(', ');
    return [
      `${jobs.length > 1 ? `median of ${jobs.length} jobs: ` : ''}resolve+probe${jobs.length > 1 ? '+wait for a slot' : ''} ${medianSpan('download.requested', 'download.transfer_planned')} s, ` +
        `transfer ${medianSpan('download.transfer_planned', 'download.transfer_completed')} s, verify+place ${medianSpan('download.transfer_completed', 'download.placed')} s`,
      `${count('download.segment_split')} segment splits`,
      `${retried.length} reconnects${kinds === '' ? '' : ` (${kinds})`}`,
      `${count('download.url_refreshed')} URL refreshes`,
      `${count('download.transfer_restarted')} restarts`,
    ].join('; ');
  } finally {
    await client.value.close();
  }
}
