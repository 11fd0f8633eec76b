// What a reader needs to weigh the numbers: the machine, the load on it, and which peer tools exist.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';

export function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
  const flags = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
  return `${line?.split(':')[1]?.trim() ?? 'unknown'}${/\bsha_ni\b/.test(flags) ? ' (sha_ni)' : ' (no sha_ni)'}`;
}

export const loadAverage = (): string => loadavg().map((n) => n.toFixed(2)).join(' / ');

export function machineRows(): string[][] {
  return [
    ['what', 'value'],
    ['CPUs (nproc)', String(availableParallelism())],
    ['CPU model', cpuModel()],
    ['memory', `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ['kernel', release()],
    ['Node', `${process.version} (OpenSSL ${process.versions.openssl})`],
    ['load average (1 / 5 / 15 min) at start', loadAverage()],
  ];
}

/** The first line of `<tool> --version`, or undefined when the tool is not on PATH. */
export function toolVersion(tool: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$0"', tool], { encoding: 'utf8' });
  if (found.status !== 0) return undefined;
  const args = tool === 'openssl' ? ['version'] : ['--version'];
  const version = spawnSync(tool, args, { encoding: 'utf8', timeout: 5000 });
  const first = (version.stdout || version.stderr || '').split('\n')[0]?.trim() ?? '';
  // Build details (target triple, linked libraries) are noise in a table; "(GNU coreutils)" is not.
  return first.replace(/ \((?!GNU)[^)]*\).*$/, '') || tool;
}
