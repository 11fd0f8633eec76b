// Child processes for the benchmarks: wall time and CPU of a command's whole process tree, a hard timeout, and
// a register of the long-lived processes started (simulator, daemon) so that every exit path stops them by pid.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Sample {
  readonly ms: number;
  /** user + sys of every process involved, in seconds. */
  readonly cpuSeconds: number;
  /** user + sys of the server during the run, when there is one. */
  readonly serverCpuSeconds?: number;
  /** What the run's own records say about it (for ours: the daemon's events), to explain a slow round. */
  readonly note?: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

const ticksPerSecond = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces: index 0 is field 3 (state). */
function statFields(pid: number | string): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
}

const field = (fields: readonly string[], number: number): number => Number(fields[number - 3] ?? NaN);

/** utime + stime of a running process (all its threads), in seconds. */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (field(f, 14) + field(f, 15)) / ticksPerSecond;
}

export interface ThreadCpu {
  readonly name: string;
  readonly userSeconds: number;
  readonly sysSeconds: number;
}

/** CPU of each live thread of a process, by thread id (threads that have ended are gone from the list). */
export function threadCpu(pid: number): Map<number, ThreadCpu> {
  const threads = new Map<number, ThreadCpu>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = statFields(`${pid}/task/${tid}`);
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      threads.set(Number(tid), { name, userSeconds: field(f, 14) / ticksPerSecond, sysSeconds: field(f, 15) / ticksPerSecond });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * cutime + cstime of this process: the CPU of every child it has reaped, including what those children reaped
 * (a shell's curl and openssl). Read before and after one awaited command, the difference is that command's tree.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields('self');
  return (field(f, 16) + field(f, 17)) / ticksPerSecond;
}

const started = new Set<ChildProcess>();

/** Starts a long-lived process in its own process group, registered so that stopAll() ends it. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the process's group, SIGKILL after `graceMs`; resolves once it has been reaped. */
export function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((child) => stopProcess(child)));
}

/** Kills what is left without waiting: for an exit that cannot wait (a deadline, a second signal). */
export function killAllNow(): void {
  for (const child of started) signalGroup(child, 'SIGKILL');
}

/**
 * Runs a command to completion and measures it. It fails on a non-zero exit or after `timeoutMs` (the whole
 * process group is killed then), so a broken or hung peer never shows up as a fast one.
 */
export async function runMeasured(command: string, args: readonly string[], options: RunOptions): Promise<Sample & { stdout: string }> {
  const cpuBefore = reapedChildrenCpuSeconds();
  const t0 = performance.now();
  const child = startProcess(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => void (stdout = (stdout + s).slice(-64 * 1024)));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => void (stderr = (stderr + s).slice(-4096)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(child, 'SIGKILL');
  }, options.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  const ms = performance.now() - t0;
  const cpuSeconds = reapedChildrenCpuSeconds() - cpuBefore;
  const shown = `${command} ${args.join(' ')}`.slice(0, 300);
  if (timedOut) throw new Error(`timed out after ${options.timeoutMs / 1000} s: ${shown}`);
  if (code !== 0) throw new Error(`failed (${code ?? signal}): ${shown}\n${stderr.trim()}`);
  return { ms, cpuSeconds, stdout };
}
