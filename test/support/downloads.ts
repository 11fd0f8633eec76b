import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JobJson } from '../../src/ipc/protocol.js';
import type { ModelSpec } from '../../src/simulator/index.js';
import { cli, type DaemonHome } from './daemon-process.js';

/** An obvious fake key: if it shows up anywhere it must not, a test says so. */
export const CANARY_KEY = 'canary0123456789abcdef0123456789ab';

export async function addAndWait(home: DaemonHome, args: readonly string[]): Promise<{ code: number | null; job: JobJson | null; stderr: string }> {
  const r = await cli(home, ['add', ...args, '--wait', '--json'], { timeoutMs: 120_000 });
  let job: JobJson | null = null;
  try {
    job = JSON.parse(r.stdout) as JobJson;
  } catch {
    job = null;
  }
  return { code: r.code, job, stderr: r.stderr };
}

/** Every file under a folder, relative, sorted: what a user would see in the models tree. */
export function filesUnder(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(root, rel));
    else if (statSync(join(root, rel)).isFile()) out.push(rel);
  }
  return out.sort();
}

/** Polls `probe` until it returns a value; throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc: how a test tells a hot loop from rest. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A model of one file of at least `bytes`, under ids of its own, for downloads that take a while. */
export function sizedModel(id: number, bytes: number, name = `Sim Sized ${id}`): ModelSpec {
  return {
    id,
    name,
    type: 'Checkpoint',
    versions: [{
      id: id + 1,
      name: 'v1.0',
      baseModel: 'SDXL 1.0',
      files: [{ id: id + 2, name: `simSized${id}.safetensors`, metadata: { format: 'SafeTensor', size: 'full', fp: 'fp16' }, content: { format: 'safetensors', fixture: 'sdxl-checkpoint', minSize: bytes } }],
    }],
  };
}
