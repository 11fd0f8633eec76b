// Event-log benchmarks: append rate, replay of 1,000,000 events against a raw read of the same rows, and the
// CLI round trip against `node -e 0`. Prints markdown tables for BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventRegistry } from '../../src/events/index.js';
import { projectRoot } from '../../src/lib/project-root.js';
import { projections } from '../../src/projections/index.js';
import { openDatabase } from '../../src/store/database.js';
import { createEventStore } from '../../src/store/event-store.js';
import { fmt, median, printTable, timeCommand } from './measure.js';

const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-bench-store-'));
const meta = { actor: 'test' } as const;

async function appendRates(): Promise<string[][]> {
  const db = (await openDatabase(join(dir, 'append.db')))._unsafeUnwrap();
  const store = createEventStore(db.sqlite, eventRegistry, projections, () => new Date());
  const rows: string[][] = [];
  let n = 0;
  (await store.append([{ streamId: 'download-b', events: [{ eventId: 'req', type: 'download.requested', data: { jobId: 'b', input: 'bench' } }], metadata: meta }]))._unsafeUnwrap();
  const chunk = (i: number) => ({ eventId: `c${i}`, type: 'download.chunk_written', data: { segment: 0, offset: i * 16, length: 16 } });
  for (const batch of [1, 100]) {
    const t0 = performance.now();
    let count = 0;
    while (performance.now() - t0 < 3000) {
      (await store.append([{ streamId: 'download-b', events: Array.from({ length: batch }, () => chunk(n++)), metadata: meta }]))._unsafeUnwrap();
      count += batch;
    }
    const s = (performance.now() - t0) / 1000;
    rows.push([`append, ${batch} event${batch > 1 ? 's' : ''} per transaction (synchronous=FULL, queue view folded inline)`, `${fmt(count / s, 0)} events/s`, `${fmt((s * 1e6) / (count / batch), 0)} µs per transaction`]);
  }
  await db.close();
  return rows;
}

async function replayVersusRaw(): Promise<string[][]> {
  const db = (await openDatabase(join(dir, 'replay.db')))._unsafeUnwrap();
  // A realistic log: downloads of 1,000 chunk events each, written straight into the table (setup, not measured).
  const insert = db.sqlite.prepare(
    'INSERT INTO events (event_id, stream_id, category, stream_position, type, schema_version, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)',
  );
  const recorded = new Date().toISOString();
  const metaText = JSON.stringify(meta);
  db.sqlite.transaction(() => {
    for (let i = 0; i < REPLAY_EVENTS; i++) {
      const job = Math.floor(i / 1000);
      const pos = (i % 1000) + 1;
      const stream = `download-j${job}`;
      const [type, data] =
        pos === 1
          ? ['download.requested', { jobId: `j${job}`, input: `https://civitai.com/models/${job}` }]
          : ['download.chunk_written', { segment: pos % 4, offset: pos * 16_777_216, length: 16_777_216 }];
      insert.run(`e${i}`, stream, 'download', pos, type, JSON.stringify(data), metaText, recorded);
    }
  })();
  const store = createEventStore(db.sqlite, eventRegistry, projections, () => new Date());
  const rawRuns: number[] = [];
  const replayRuns: number[] = [];
  for (let round = 0; round < 3; round++) {
    let t0 = performance.now();
    let parsed = 0;
    for (const row of db.sqlite.prepare('SELECT * FROM events ORDER BY global_position').iterate() as Iterable<{ data: string; metadata: string }>) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      parsed++;
    }
    rawRuns.push(performance.now() - t0);
    if (parsed !== REPLAY_EVENTS) throw new Error('raw read missed rows');
    t0 = performance.now();
    const r = await store.replay();
    replayRuns.push(performance.now() - t0);
    if (r.events !== REPLAY_EVENTS) throw new Error('replay missed events');
  }
  await db.close();
  const raw = median(rawRuns);
  const replay = median(replayRuns);
  return [
    [`raw better-sqlite3 read + JSON.parse of ${REPLAY_EVENTS.toLocaleString('en-US')} rows`, `${fmt(raw, 0)} ms`, `${fmt(REPLAY_EVENTS / (raw / 1000), 0)} events/s`, '1.00×'],
    [`comfyui-dl replay (decode, upcast, fold every view, write)`, `${fmt(replay, 0)} ms`, `${fmt(REPLAY_EVENTS / (replay / 1000), 0)} events/s`, `${fmt(raw / replay, 2)}× of raw (goal ≥ 0.5×)`],
  ];
}

async function cliRoundTrip(): Promise<string[][]> {
  const root = projectRoot(import.meta.url);
  const bin = join(root, 'bin', 'comfyui-dl');
  const env = { ...process.env, COMFYUI_DL_DATA_DIR: join(dir, 'daemon'), COMFYUI_DL_SOCKET: join(dir, 'run', 'daemon.sock'), COMFYUI_MODELS_DIR: join(dir, 'models'), COMFYUI_DL_UPDATE_INTERVAL: '0', CIVITAI_BASE_URL: 'http://127.0.0.1:9' };
  const daemon = spawn(process.execPath, [bin, 'daemon'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    for (let i = 0; ; i++) {
      try {
        timeCommand(process.execPath, [bin, 'status'], env);
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const node: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < 25; i++) {
      node.push(timeCommand(process.execPath, ['-e', '0']));
      cli.push(timeCommand(process.execPath, [bin, 'status', '--json'], env));
    }
    const n = median(node);
    const c = median(cli);
    return [
      ['`node -e 0`', `${fmt(n)} ms`, ''],
      ['`comfyui-dl status --json` (connect, handshake, request, print)', `${fmt(c)} ms`, `+${fmt(c - n)} ms (goal ≤ +30 ms)`],
    ];
  } finally {
    daemon.kill('SIGTERM');
  }
}

try {
  console.log(`comfyui-dl store benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  printTable('Appends', [['case', 'rate', 'per transaction'], ...(await appendRates())]);
  printTable('Replay', [['case', 'time (median of 3)', 'rate', 'ratio'], ...(await replayVersusRaw())]);
  printTable('CLI round trip', [['case', 'median of 25', 'difference'], ...(await cliRoundTrip())]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
