// A daemon on folders of its own (data, models, socket, HOME, XDG_*), so a run never touches the user's folders
// and a version installed in one round is downloaded again in the next.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectIpc } from '../../src/ipc/client.js';
import { projectRoot } from '../../src/config/project-root.js';
import { processCpuSeconds, runMeasured, startProcess, stopProcess, type Sample } from './proc.js';

const bin = join(projectRoot(import.meta.url), 'bin', 'comfyui-dl');

export interface FreshDaemonOptions {
  readonly apiUrl: string;
  /** The daemon's folders go in a new folder under this one. */
  readonly parentDir: string;
  /** COMFYUI_DL_CONNECTIONS; the daemon's default when absent. */
  readonly connections?: number;
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
  return {
    pid,
    modelsDir,
    dataDir: env.COMFYUI_DL_DATA_DIR ?? '',
    async add(versionId, timeoutMs) {
      const daemonBefore = processCpuSeconds(pid);
      const cli = await runMeasured(process.execPath, [bin, 'add', '--version', String(versionId), '--wait'], { env, timeoutMs });
      return { ms: cli.ms, cpuSeconds: cli.cpuSeconds + processCpuSeconds(pid) - daemonBefore };
    },
    dispose,
  };
}

/** Throws unless exactly one file of that name and size was placed: `add --wait` exiting 0 is not proof enough. */
export function assertPlaced(daemon: FreshDaemon, fileName: string, sizeBytes: number): void {
  const placed = findPlaced(daemon.modelsDir, fileName);
  if (placed === undefined) throw new Error(`no ${fileName} under the models folder after add --wait`);
  const size = statSync(placed).size;
  if (size !== sizeBytes) throw new Error(`${placed} has ${size} bytes, expected ${sizeBytes}`);
}
