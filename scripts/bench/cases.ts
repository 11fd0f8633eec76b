// The cases the sections compare: our daemon end to end, shell peers (curl, aria2c, openssl, sha256sum) and our
// hashFile. Each checks its own result (placed file, size or digest), so a peer that fails fast never wins.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hashFile } from '../../src/hashing/index.js';
import type { BenchServer } from './bench-server.js';
import { assertPlaced, assertPlacedAnywhere, startFreshDaemon } from './fresh-daemon.js';
import { runMeasured } from './proc.js';
import type { BenchCase } from './rounds.js';

export interface Limits {
  /** Where runs put their files and daemon folders. */
  readonly workDir: string;
  /** One measured run. */
  readonly runTimeoutMs: number;
  /** Starting a daemon or the simulator. */
  readonly startTimeoutMs: number;
}

/** No run inherits the previous run's dirty pages (writing them back would be billed to whoever runs next). */
function settle(path?: string): void {
  if (path !== undefined) rmSync(path, { force: true });
  spawnSync('sync');
}

function digestIn(stdout: string): string | undefined {
  return /\b([0-9a-f]{64})\b/.exec(stdout)?.[1];
}

/** The same case, with the server's CPU during each run added to its samples. */
export function countingServerCpu(bench: BenchCase, server: BenchServer): BenchCase {
  return {
    ...bench,
    async run() {
      const before = server.cpuSeconds();
      const sample = await bench.run();
      return { ...sample, serverCpuSeconds: server.cpuSeconds() - before };
    },
  };
}

/** `comfyui-dl add --version <id> --wait` on a daemon started with fresh folders outside the timed part. */
export function oursCase(server: BenchServer, limits: Limits, name: string, connections?: number): BenchCase {
  return {
    name,
    command: `comfyui-dl add --version ${server.versionId} --wait${connections === undefined ? '' : ` (COMFYUI_DL_CONNECTIONS=${connections})`}`,
    async run() {
      settle();
      const daemon = await startFreshDaemon({ apiUrl: server.apiUrl, parentDir: limits.workDir, connections, startTimeoutMs: limits.startTimeoutMs });
      try {
        const sample = await daemon.add(server.versionId, limits.runTimeoutMs);
        assertPlaced(daemon, server.fileName, server.sizeBytes);
        return sample;
      } finally {
        await daemon.dispose();
      }
    },
  };
}

export interface ShellCaseSpec {
  readonly name: string;
  /** As shown in the table, with FILE, DIR and URL standing for the arguments. */
  readonly command: string;
  /** bash script; $0 is the signed URL, $1 the output file, $2 its folder, $3 its name. */
  readonly script: string;
  /** The script prints the file's SHA-256 (checked); otherwise the file's size is checked. */
  readonly printsDigest: boolean;
}

/** A download by shell tools into `outFile`, from a freshly signed URL. */
export function shellDownloadCase(server: BenchServer, limits: Limits, outFile: string, spec: ShellCaseSpec): BenchCase {
  return {
    name: spec.name,
    command: spec.command,
    async run() {
      settle(outFile);
      const url = await server.signedUrl();
      const result = await runMeasured('bash', ['-c', `set -eo pipefail; ${spec.script}`, url, outFile, dirname(outFile), basename(outFile)], {
        timeoutMs: limits.runTimeoutMs,
      });
      if (spec.printsDigest) {
        const digest = digestIn(result.stdout);
        if (digest !== server.sha256) throw new Error(`${spec.name} printed ${digest ?? 'no digest'}, expected ${server.sha256}`);
      } else {
        const size = statSync(outFile).size;
        if (size !== server.sizeBytes) throw new Error(`${spec.name} wrote ${size} bytes, expected ${server.sizeBytes}`);
      }
      return { ms: result.ms, cpuSeconds: result.cpuSeconds };
    },
  };
}

/** A hashing tool run on `file`; its printed digest must be `sha256`. */
export function hashToolCase(name: string, command: readonly string[], file: string, sha256: string, limits: Limits): BenchCase {
  const [tool, ...args] = command;
  if (tool === undefined) throw new Error('hashToolCase needs a command');
  return {
    name,
    command: `${command.join(' ')} FILE`,
    async run() {
      const result = await runMeasured(tool, [...args, file], { timeoutMs: limits.runTimeoutMs });
      const digest = digestIn(result.stdout);
      if (digest !== sha256) throw new Error(`${name} printed ${digest ?? 'no digest'}, expected ${sha256}`);
      return { ms: result.ms, cpuSeconds: result.cpuSeconds };
    },
  };
}

/** Our hashFile, in this process: its CPU is this process's, hashing threads included, while nothing else runs here. */
export function hashFileCase(file: string, sha256: string, limits: Limits): BenchCase {
  return {
    name: 'ours: hashFile',
    command: "hashFile(FILE) from src/hashing (in-process)",
    async run() {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const digest = await hashFile(file, { signal: AbortSignal.timeout(limits.runTimeoutMs) });
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (digest !== sha256) throw new Error(`hashFile gave ${digest}, expected ${sha256}`);
      return { ms, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    },
  };
}

/** Every one of `server.many` added at once to one fresh daemon, until all are completed and placed. */
export function oursManyCase(server: BenchServer, limits: Limits, name: string): BenchCase {
  return {
    name,
    command: `${server.many.length} × add --version <id>, over one connection, then wait for all`,
    async run() {
      settle();
      const daemon = await startFreshDaemon({ apiUrl: server.apiUrl, parentDir: limits.workDir, startTimeoutMs: limits.startTimeoutMs });
      try {
        const sample = await daemon.addMany(server.many.map((f) => f.versionId), limits.runTimeoutMs);
        for (const f of server.many) assertPlacedAnywhere(daemon, f.fileName);
        return sample;
      } finally {
        await daemon.dispose();
      }
    },
  };
}

/** A shell download of every one of `server.many` into `dir` from an aria2c input list; each digest is checked. */
export function shellManyCase(server: BenchServer, limits: Limits, dir: string, name: string, command: string, script: string): BenchCase {
  return {
    name,
    command,
    async run() {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      settle();
      const list = join(limits.workDir, 'many.list');
      const urls = await Promise.all(server.many.map((f) => f.signedUrl()));
      writeFileSync(list, server.many.map((f, i) => `${urls[i]}\n  out=${f.fileName}\n`).join(''));
      const result = await runMeasured('bash', ['-c', `set -eo pipefail; ${script}`, list, dir], { timeoutMs: limits.runTimeoutMs });
      const printed = new Map(result.stdout.split('\n').map((line) => /^([0-9a-f]{64}) \*?(.+)$/.exec(line.trim())).filter((m) => m !== null).map((m) => [basename(m[2]!), m[1]!]));
      for (const f of server.many) {
        if (printed.get(f.fileName) !== f.sha256) throw new Error(`${name}: ${f.fileName} hashed to ${printed.get(f.fileName) ?? 'nothing'}, expected ${f.sha256}`);
      }
      return { ms: result.ms, cpuSeconds: result.cpuSeconds };
    },
  };
}
