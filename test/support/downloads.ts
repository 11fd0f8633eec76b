import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JobJson } from '../../src/ipc/protocol.js';
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
