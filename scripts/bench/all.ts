// `npm run bench`: download and hashing benchmarks against curl, openssl and aria2c, in one run, printed as
// markdown (progress goes to stderr). Cases alternate round by round on one simulator process and one file.
// Knobs (environment): BENCH_ROUNDS (5), BENCH_FILE_MIB (1024), BENCH_HASH_MIB (2048),
// BENCH_THROTTLE_BYTES_PER_SECOND (50000000), BENCH_RUN_TIMEOUT_S (180), BENCH_DEADLINE_S (1800),
// BENCH_SECTIONS (1,2,3,4,5: which sections to run; 4 is the warm restart scan, 5 the many small files),
// BENCH_MANY_FILES (100), BENCH_MANY_FILE_MIB (16).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startBenchServer, type BenchServer } from './bench-server.js';
import { countingServerCpu, hashFileCase, hashToolCase, oursCase, oursManyCase, shellDownloadCase, shellManyCase, type Limits, type ShellCaseSpec } from './cases.js';
import { writeHashSource } from './hash-source.js';
import { loadAverage, machineRows, toolVersion } from './machine.js';
import { fmt, printTable } from './measure.js';
import { killAllNow, stopAll } from './proc.js';
import { goalRows, outlierLines, sectionRows, worstRoundLines, type CaseResult, type CrossCheck, type Goal, type SectionResult } from './report.js';
import { interleave, type BenchCase } from './rounds.js';
import { scanBench } from './scan.js';

const Knobs = z.object({
  BENCH_ROUNDS: z.coerce.number().int().min(1).default(5),
  BENCH_FILE_MIB: z.coerce.number().int().min(1).default(1024),
  BENCH_HASH_MIB: z.coerce.number().int().min(16).multipleOf(16).default(2048),
  BENCH_THROTTLE_BYTES_PER_SECOND: z.coerce.number().int().min(1).default(50_000_000),
  BENCH_RUN_TIMEOUT_S: z.coerce.number().positive().default(180),
  BENCH_DEADLINE_S: z.coerce.number().positive().default(1800),
  BENCH_MANY_FILES: z.coerce.number().int().min(1).default(100),
  BENCH_MANY_FILE_MIB: z.coerce.number().int().min(1).default(16),
  BENCH_SECTIONS: z
    .string()
    .regex(/^[1-5](,[1-5])*$/)
    .default('1,2,3,4,5')
    .transform((list) => new Set(list.split(',').map(Number))),
});
const knobs = Knobs.parse(process.env);

const TOOLS = ['curl', 'openssl', 'aria2c', 'sha256sum'] as const;
type Tool = (typeof TOOLS)[number];

const workDir = mkdtempSync(join(tmpdir(), 'comfyui-dl-bench-'));
const limits: Limits = { workDir, runTimeoutMs: knobs.BENCH_RUN_TIMEOUT_S * 1000, startTimeoutMs: 30_000 };
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function abandon(reason: string, code: number): never {
  log(`bench: ${reason}; stopping the processes it started and removing ${workDir}`);
  killAllNow();
  rmSync(workDir, { recursive: true, force: true });
  process.exit(code);
}
setTimeout(() => abandon(`the ${knobs.BENCH_DEADLINE_S} s deadline passed`, 124), knobs.BENCH_DEADLINE_S * 1000).unref();
process.once('SIGINT', () => abandon('interrupted', 130));
process.once('SIGTERM', () => abandon('terminated', 143));

/** A case with the tools it needs and, when it is compared with ours against a goal, that goal. */
interface Planned {
  readonly bench: BenchCase;
  readonly needs: readonly Tool[];
  readonly goal?: Goal;
}

interface SectionPlan {
  readonly title: string;
  readonly bytes: number;
  readonly ours: string;
  readonly ratioKind: SectionResult['ratioKind'];
  readonly planned: readonly Planned[];
  readonly crossChecks?: readonly CrossCheck[];
}

async function runSection(plan: SectionPlan, available: ReadonlySet<Tool>): Promise<SectionResult> {
  const runnable = plan.planned.filter((p) => p.needs.every((t) => available.has(t)));
  const loadBefore = loadAverage();
  log(`\n[${plan.title}] ${runnable.length} cases × ${knobs.BENCH_ROUNDS} rounds, load ${loadBefore}`);
  const { samples, failure } = await interleave(
    runnable.map((p) => p.bench),
    knobs.BENCH_ROUNDS,
    (c, round, s) => log(`  round ${round + 1} ${c.name}: ${fmt(s.ms / 1000, 2)} s, ${fmt(s.cpuSeconds, 2)} CPU s`),
  );
  const cases: CaseResult[] = plan.planned.map((p) => {
    const index = runnable.indexOf(p);
    const missing = p.needs.filter((t) => !available.has(t));
    const { name, command } = p.bench;
    const shown = missing.length > 0 ? `${command} (skipped: ${missing.join(', ')} not found)` : command;
    return { name, command: shown, goal: p.goal, samples: index < 0 ? [] : (samples[index] ?? []) };
  });
  const section: SectionResult = { title: plan.title, bytes: plan.bytes, ours: plan.ours, ratioKind: plan.ratioKind, cases, crossChecks: plan.crossChecks };
  printTable(plan.title, sectionRows(section));
  const rounds = samples[0]?.length ?? 0;
  console.log(`\n${rounds} rounds; load average (1 / 5 / 15 min) before ${loadBefore}, after ${loadAverage()}.`);
  const outliers = outlierLines(section);
  console.log(`\nOutliers (more than twice the median): ${outliers.length === 0 ? 'none' : `\n${outliers.map((l) => `- ${l}`).join('\n')}`}`);
  console.log(`\nWorst round of each case (ours: where the time went, from the daemon's events):\n${worstRoundLines(section).map((l) => `- ${l}`).join('\n')}`);
  if (failure !== undefined) {
    console.log(`\n**Stopped early:** ${failure}`);
    log(`  stopped early: ${failure}`);
  }
  return section;
}

/** A section that needs a simulator: started before its cases, stopped after them whatever happens. */
async function withServer<T>(throttle: number | undefined, body: (server: BenchServer) => Promise<T>, manyFiles?: { count: number; fileMib: number }): Promise<T> {
  const server = await startBenchServer({ fileMib: knobs.BENCH_FILE_MIB, throttleBytesPerSecond: throttle, timeoutMs: limits.startTimeoutMs, manyFiles });
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** The simulator's file is a little over its nominal size (a real header in front): say both. */
const sizeText = (bytes: number): string => `${fmt(bytes / 1024 ** 3, 2)} GiB (${bytes.toLocaleString('en-US')} bytes)`;

function downloadPlan(server: BenchServer, title: string, planned: (shell: (spec: ShellCaseSpec, needs: Tool[], goal?: Goal) => Planned) => Planned[]): SectionPlan {
  const dir = join(workDir, 'peer');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, server.fileName);
  const shell = (spec: ShellCaseSpec, needs: Tool[], goal?: Goal): Planned => ({ bench: countingServerCpu(shellDownloadCase(server, limits, out, spec), server), needs, goal });
  const cases = planned(shell);
  return { title, bytes: server.sizeBytes, ours: cases[0]?.bench.name ?? '', ratioKind: 'time-at-most', planned: cases };
}

function ours(server: BenchServer, name: string): Planned {
  return { bench: countingServerCpu(oursCase(server, limits, name), server), needs: [] };
}

const ARIA2C = 'aria2c -q --file-allocation=falloc --allow-overwrite=true --auto-file-renaming=false';

const CURL_OPENSSL = 'curl, then openssl sha256';
const OURS = 'ours: add --wait (default settings)';

async function unthrottled(available: ReadonlySet<Tool>): Promise<SectionResult> {
  return withServer(undefined, (server) => {
    const plan = downloadPlan(server, `1. Download ${sizeText(server.sizeBytes)} over loopback, no throttle`, (shell) => [
      ours(server, OURS),
      // Ours makes the file durable (fdatasync) before it reports it verified; curl leaves that to the kernel's
      // flusher, outside the measurement. This row does the same durable work.
      shell(
        {
          name: 'curl, fdatasync, then openssl sha256',
          command: 'curl -s -o FILE URL && sync -d FILE && openssl dgst -sha256 FILE',
          script: 'curl -sf -o "$1" "$0" && sync -d "$1" && openssl dgst -sha256 -r "$1"',
          printsDigest: true,
        },
        ['curl', 'openssl'],
        { kind: 'time-at-most', ratio: 0.75 },
      ),
      shell(
        {
          name: CURL_OPENSSL,
          command: 'curl -s -o FILE URL && openssl dgst -sha256 FILE',
          script: 'curl -sf -o "$1" "$0" && openssl dgst -sha256 -r "$1"',
          printsDigest: true,
        },
        ['curl', 'openssl'],
        { kind: 'time-at-most', ratio: 1 },
      ),
      shell({ name: 'curl alone (transfer floor)', command: 'curl -s -o FILE URL', script: 'curl -sf -o "$1" "$0"', printsDigest: false }, ['curl']),
    ]);
    return runSection({ ...plan, crossChecks: [{ ours: OURS, peer: CURL_OPENSSL, goal: { kind: 'cpu-at-most', ratio: 1.3 } }] }, available);
  });
}

async function throttled(available: ReadonlySet<Tool>): Promise<SectionResult> {
  const cap = knobs.BENCH_THROTTLE_BYTES_PER_SECOND;
  return withServer(cap, (server) =>
    runSection(
      downloadPlan(server, `2. Download ${sizeText(server.sizeBytes)}, each connection capped at ${fmt(cap / 1e6, 0)} MB/s`, (shell) => [
        ours(server, OURS),
        shell(
          {
            name: 'aria2c -x8, then openssl sha256',
            command: `${ARIA2C} -x8 -s8 -d DIR -o FILE URL && openssl dgst -sha256 DIR/FILE`,
            script: `${ARIA2C} -x8 -s8 -d "$2" -o "$3" "$0" && openssl dgst -sha256 -r "$1"`,
            printsDigest: true,
          },
          ['aria2c', 'openssl'],
          { kind: 'time-at-most', ratio: 0.8 },
        ),
        shell(
          { name: 'aria2c -x16 alone', command: `${ARIA2C} -x16 -s16 -d DIR -o FILE URL`, script: `${ARIA2C} -x16 -s16 -d "$2" -o "$3" "$0"`, printsDigest: false },
          ['aria2c'],
          { kind: 'time-at-most', ratio: 1 },
        ),
      ]),
      available,
    ),
  );
}

async function manyFiles(available: ReadonlySet<Tool>): Promise<SectionResult> {
  const cap = knobs.BENCH_THROTTLE_BYTES_PER_SECOND;
  const count = knobs.BENCH_MANY_FILES;
  return withServer(
    cap,
    (server) => {
      const dir = join(workDir, 'many');
      const planned: Planned[] = [
        { bench: countingServerCpu(oursManyCase(server, limits, `ours: ${count} adds at once, default settings`), server), needs: [] },
        {
          bench: countingServerCpu(
            shellManyCase(
              server, limits, dir, 'aria2c -j4 -x4 -i list, then openssl on each',
              `${ARIA2C} -j4 -x4 -s4 -d DIR -i LIST && openssl dgst -sha256 DIR/*`,
              `${ARIA2C} -j4 -x4 -s4 -d "$1" -i "$0" && cd "$1" && openssl dgst -sha256 -r *.safetensors`,
            ),
            server,
          ),
          needs: ['aria2c', 'openssl'],
          goal: { kind: 'time-at-most', ratio: 1 },
        },
      ];
      const bytes = server.many.length * knobs.BENCH_MANY_FILE_MIB * 1024 * 1024;
      const title = `5. ${count} files of ${knobs.BENCH_MANY_FILE_MIB} MiB queued at once, each connection capped at ${fmt(cap / 1e6, 0)} MB/s`;
      return runSection({ title, bytes, ours: planned[0]!.bench.name, ratioKind: 'time-at-most', planned }, available);
    },
    { count, fileMib: knobs.BENCH_MANY_FILE_MIB },
  );
}

async function hashing(available: ReadonlySet<Tool>): Promise<SectionResult> {
  const bytes = knobs.BENCH_HASH_MIB * 1024 * 1024;
  const file = join(workDir, 'hash-source.bin');
  log(`\nwriting the ${sizeText(bytes)} hashing source`);
  const sha256 = writeHashSource(file, bytes);
  const ours = hashFileCase(file, sha256, limits);
  const planned: Planned[] = [
    { bench: ours, needs: [] },
    { bench: hashToolCase('openssl dgst -sha256', ['openssl', 'dgst', '-sha256', '-r'], file, sha256, limits), needs: ['openssl'], goal: { kind: 'throughput-at-least', ratio: 0.9 } },
    { bench: hashToolCase('sha256sum (coreutils)', ['sha256sum'], file, sha256, limits), needs: ['sha256sum'] },
  ];
  try {
    // Page cache warm, hashing thread started: one untimed pass of every case.
    for (const p of planned.filter((q) => q.needs.every((t) => available.has(t)))) await p.bench.run();
    return await runSection({ title: `3. SHA-256 of a ${sizeText(bytes)} file, page cache warm`, bytes, ours: ours.name, ratioKind: 'throughput-at-least', planned }, available);
  } finally {
    rmSync(file, { force: true });
  }
}

async function main(): Promise<number> {
  console.log('## Benchmark run\n');
  console.log(`${new Date().toISOString()}; ${knobs.BENCH_ROUNDS} rounds per section, cases alternating A B C … each round; times are medians.`);
  console.log(
    'MB = 10^6 bytes, GB = 10^9 bytes. CPU s per GB = user+sys of every process of the case (for ours: the CLI and the daemon) per GB moved or hashed; the simulator serving the bytes is counted apart (server CPU).',
  );
  printTable('Machine', machineRows());
  const versions = new Map(TOOLS.map((t) => [t, toolVersion(t)] as const));
  const available = new Set(TOOLS.filter((t) => versions.get(t) !== undefined));
  printTable('Peer tools', [['tool', 'version'], ...TOOLS.map((t) => [t, versions.get(t) ?? 'MISSING: its rows are skipped'])]);
  const missing = TOOLS.filter((t) => !available.has(t));
  if (missing.length > 0) log(`bench: missing ${missing.join(', ')}; the rows that need ${missing.length > 1 ? 'them' : 'it'} are skipped`);

  const sections: SectionResult[] = [];
  let failed = false;
  const numbered: Array<[number, (available: ReadonlySet<Tool>) => Promise<SectionResult>]> = [[1, unthrottled], [2, throttled], [3, hashing], [5, manyFiles]];
  for (const [number, section] of numbered) {
    if (!knobs.BENCH_SECTIONS.has(number)) continue;
    try {
      sections.push(await section(available));
    } catch (error) {
      failed = true;
      console.log(`\n**Section ${section.name} failed:** ${(error as Error).message}`);
      log(`bench: section ${section.name} failed: ${(error as Error).stack ?? String(error)}`);
    }
  }
  if (knobs.BENCH_SECTIONS.has(4)) {
    try {
      printTable('Startup scan', [['case', 'time', 'work', 'goal'], ...(await scanBench())]);
    } catch (error) {
      failed = true;
      console.log(`\n**Section scan failed:** ${(error as Error).message}`);
    }
  }
  printTable('Goals', goalRows(sections));
  console.log(`\nload average at the end: ${loadAverage()}`);
  return failed ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} finally {
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(code);
