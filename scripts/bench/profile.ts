// Where the daemon's time goes during one download: runs a daemon under `node --cpu-prof`, downloads the
// benchmark file once with `comfyui-dl add --wait`, and prints the job's timeline from the event log, the CPU of
// each of the daemon's threads (libuv's pool does the file writes; profiles cannot see it), then, once the
// daemon has stopped cleanly and written one profile per JS thread, the top frames by self time.
// Run: npm run build && node dist/scripts/bench/profile.js   (BENCH_FILE_MIB, BENCH_THROTTLE_BYTES_PER_SECOND,
// BENCH_CONNECTIONS, BENCH_PROFILE_TOP, BENCH_KEEP_PROFILES=1 to keep the .cpuprofile files for Chrome DevTools;
// BENCH_MANY_FILES=N adds N files of BENCH_MANY_FILE_MIB at once instead of the one big file)
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startBenchServer } from './bench-server.js';
import { summariseProfile } from './cpu-profile.js';
import { assertPlaced, startFreshDaemon } from './fresh-daemon.js';
import { fmt, printTable } from './measure.js';
import { killAllNow, stopAll, threadCpu } from './proc.js';

const knobs = z
  .object({
    BENCH_FILE_MIB: z.coerce.number().int().min(1).default(1024),
    BENCH_THROTTLE_BYTES_PER_SECOND: z.coerce.number().int().min(1).optional(),
    BENCH_CONNECTIONS: z.coerce.number().int().min(1).max(16).optional(),
    BENCH_PROFILE_TOP: z.coerce.number().int().min(1).default(15),
    BENCH_KEEP_PROFILES: z.enum(['0', '1']).default('0'),
    BENCH_MANY_FILES: z.coerce.number().int().min(1).optional(),
    BENCH_MANY_FILE_MIB: z.coerce.number().int().min(1).default(16),
  })
  .parse(process.env);

const workDir = mkdtempSync(join(tmpdir(), 'comfyui-dl-profile-'));
const profiles = join(workDir, 'profiles');
mkdirSync(profiles);
const deadline = setTimeout(() => {
  process.stderr.write('profile: deadline passed, stopping\n');
  killAllNow();
  process.exit(124);
}, 600_000);
deadline.unref();

/** CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread. */
function threadOf(file: string): string {
  const thread = file.split('.').at(-3);
  return thread === '0' ? 'main thread' : `worker thread ${thread ?? '?'}`;
}

/** Follows the daemon's threads while `during` runs; CPU each kind of thread spent meanwhile. */
async function threadDeltas(pid: number, during: () => Promise<void>): Promise<string[][]> {
  const before = threadCpu(pid);
  const last = new Map(before);
  const sample = (): void => threadCpu(pid).forEach((cpu, tid) => last.set(tid, cpu));
  // Threads that end during the download (the transfer's hashing thread) are caught by their last sample.
  const timer = setInterval(sample, 50);
  try {
    await during();
    sample();
  } finally {
    clearInterval(timer);
  }
  const rows = [...last].map(([tid, cpu]) => {
    const start = before.get(tid);
    const user = cpu.userSeconds - (start?.userSeconds ?? 0);
    const sys = cpu.sysSeconds - (start?.sysSeconds ?? 0);
    // Node 20 leaves its threads unnamed: the main thread's id is the pid; the rest show by what they do.
    const label = tid === pid ? 'main thread' : `${cpu.name} ${tid}${start === undefined ? ' (started during the download)' : ''}`;
    return { label, user, sys };
  });
  return [
    ['thread', 'user s', 'sys s'],
    ...rows
      .filter((r) => r.user + r.sys > 0)
      .sort((a, b) => b.user + b.sys - (a.user + a.sys))
      .map((r) => [r.label, fmt(r.user, 2), fmt(r.sys, 2)]),
  ];
}

/** The log's events with their time since the job was requested; runs of one type shown once, with their count and span. */
function timeline(dataDir: string): string[][] {
  const db = new Database(join(dataDir, 'events.db'), { readonly: true });
  try {
    const events = db.prepare('SELECT type, recorded_at AS at FROM events ORDER BY global_position').all() as { type: string; at: string }[];
    const t0 = Date.parse((events.find((e) => e.type === 'download.requested') ?? events[0])?.at ?? '');
    const rows: string[][] = [];
    for (let i = 0; i < events.length; ) {
      let j = i;
      while (events[j + 1]?.type === events[i]?.type) j++;
      const from = Date.parse(events[i]?.at ?? '') - t0;
      const to = Date.parse(events[j]?.at ?? '') - t0;
      rows.push([events[i]?.type ?? '', String(j - i + 1), j > i ? `${from}–${to}` : String(from)]);
      i = j + 1;
    }
    return [['event', 'count', 'ms since download.requested'], ...rows];
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const many = knobs.BENCH_MANY_FILES === undefined ? undefined : { count: knobs.BENCH_MANY_FILES, fileMib: knobs.BENCH_MANY_FILE_MIB };
  const server = await startBenchServer({ fileMib: knobs.BENCH_FILE_MIB, throttleBytesPerSecond: knobs.BENCH_THROTTLE_BYTES_PER_SECOND, timeoutMs: 30_000, manyFiles: many });
  try {
    const daemon = await startFreshDaemon({ apiUrl: server.apiUrl, parentDir: workDir, connections: knobs.BENCH_CONNECTIONS, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profiles], startTimeoutMs: 30_000 });
    try {
      const threads = await threadDeltas(daemon.pid, async () => {
        if (many !== undefined) {
          const sample = await daemon.addMany(server.many.map((f) => f.versionId), 300_000);
          console.log(`${many.count} downloads of ${many.fileMib} MiB at once: ${fmt(sample.ms / 1000, 2)} s, ${fmt(sample.cpuSeconds, 2)} CPU s (daemon); ${sample.note ?? ''}`);
          return;
        }
        const sample = await daemon.add(server.versionId, 300_000);
        console.log(`download of ${fmt(server.sizeBytes / 1e6, 0)} MB: ${fmt(sample.ms / 1000, 2)} s, ${fmt(sample.cpuSeconds, 2)} CPU s (CLI + daemon)`);
      });
      if (many === undefined) assertPlaced(daemon, server.fileName, server.sizeBytes);
      printTable('timeline of the job (event log)', timeline(daemon.dataDir));
      printTable("the daemon's threads during the download", threads);
    } finally {
      await daemon.dispose();
    }
  } finally {
    await server.stop();
  }
  // The profiles span the daemon's whole life: start-up and shutdown are in them too (a small share).
  for (const file of readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const summary = summariseProfile(JSON.parse(readFileSync(join(profiles, file), 'utf8')));
    const rows = summary.frames.slice(0, knobs.BENCH_PROFILE_TOP).map((f) => [f.frame, fmt(f.selfMs, 0), `${fmt((100 * f.selfMs) / summary.sampledMs, 1)} %`]);
    printTable(`${threadOf(file)}: ${fmt(summary.sampledMs / 1000, 2)} s sampled, top frames by self time`, [['frame', 'self ms', 'share'], ...rows]);
  }
  if (knobs.BENCH_KEEP_PROFILES === '1') console.log(`\nprofiles kept in ${profiles}`);
}

try {
  await main();
} finally {
  await stopAll();
  if (knobs.BENCH_KEEP_PROFILES !== '1') rmSync(workDir, { recursive: true, force: true });
}
process.exit(0);
