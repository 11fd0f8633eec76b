// Event-log benchmarks: append rate, replay of 1,000,000 events against a raw read of the same rows, and the
// CLI round trip against `node -e 0`; the same appends and replay on PostgreSQL (a server started for the run, or
// BENCH_DATABASE_URL: an empty database), and the live feed's latency from one host to another through it.
// Prints markdown tables for BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventRegistry } from '../../src/events/index.js';
import { projectRoot } from '../../src/config/project-root.js';
import { projections } from '../../src/projections/index.js';
import { openDatabase, openPostgres, type PostgresDatabase } from '../../src/store/database.js';
import { createEventStore, type EventStore } from '../../src/store/event-store.js';
import { createPostgresEventStore } from '../../src/store/postgres-event-store.js';
import { postgresMissing, startPostgres, type PgServer } from '../postgres-server.js';
import { fmt, median, printTable, timeCommand } from './measure.js';

const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-bench-store-'));
const meta = { actor: 'test' } as const;

async function appendRates(store: EventStore, label: string): Promise<string[][]> {
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
    rows.push([`append, ${batch} event${batch > 1 ? 's' : ''} per transaction (${label}, queue view folded inline)`, `${fmt(count / s, 0)} events/s`, `${fmt((s * 1e6) / (count / batch), 0)} µs per transaction`]);
  }
  return rows;
}

async function sqliteAppendRates(): Promise<string[][]> {
  const db = (await openDatabase(join(dir, 'append.db')))._unsafeUnwrap();
  try {
    return await appendRates(createEventStore(db.sqlite, eventRegistry, projections, () => new Date()), 'SQLite, synchronous=FULL');
  } finally {
    await db.close();
  }
}

/** The synthetic log both replays read: downloads of 1,000 chunk events each. */
function syntheticEvent(i: number) {
  const job = Math.floor(i / 1000);
  const pos = (i % 1000) + 1;
  const [type, data] =
    pos === 1
      ? ['download.requested', { jobId: `j${job}`, input: `https://civitai.com/models/${job}` }]
      : ['download.chunk_written', { segment: pos % 4, offset: pos * 16_777_216, length: 16_777_216 }];
  return { eventId: `e${i}`, stream: `download-j${job}`, pos, type: type as string, data: JSON.stringify(data) };
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
      const e = syntheticEvent(i);
      insert.run(e.eventId, e.stream, 'download', e.pos, e.type, e.data, metaText, recorded);
    }
  })();
  const store = createEventStore(db.sqlite, eventRegistry, projections, () => new Date());
  try {
    return await rawVersusReplay(store, async () => {
      let parsed = 0;
      for (const row of db.sqlite.prepare('SELECT * FROM events ORDER BY global_position').iterate() as Iterable<{ data: string; metadata: string }>) {
        JSON.parse(row.data);
        JSON.parse(row.metadata);
        parsed++;
      }
      return parsed;
    }, { raw: 'raw better-sqlite3 read', replay: 'comfyui-dl replay (decode, upcast, fold every view, write)', goal: ' (goal ≥ 0.5×)' });
  } finally {
    await db.close();
  }
}

/** Three rounds of a raw read of the whole log (it returns the rows it parsed) against `replay`: the medians. */
async function rawVersusReplay(store: EventStore, rawRead: () => Promise<number>, labels: { raw: string; replay: string; goal: string }): Promise<string[][]> {
  const rawRuns: number[] = [];
  const replayRuns: number[] = [];
  for (let round = 0; round < 3; round++) {
    let t0 = performance.now();
    if ((await rawRead()) !== REPLAY_EVENTS) throw new Error('raw read missed rows');
    rawRuns.push(performance.now() - t0);
    t0 = performance.now();
    const r = await store.replay();
    replayRuns.push(performance.now() - t0);
    if (r.events !== REPLAY_EVENTS) throw new Error('replay missed events');
  }
  const raw = median(rawRuns);
  const replay = median(replayRuns);
  return [
    [`${labels.raw} + JSON.parse of ${REPLAY_EVENTS.toLocaleString('en-US')} rows`, `${fmt(raw, 0)} ms`, `${fmt(REPLAY_EVENTS / (raw / 1000), 0)} events/s`, '1.00×'],
    [labels.replay, `${fmt(replay, 0)} ms`, `${fmt(REPLAY_EVENTS / (replay / 1000), 0)} events/s`, `${fmt(raw / replay, 2)}× of raw${labels.goal}`],
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

async function postgresReplay(db: PostgresDatabase): Promise<string[][]> {
  const recorded = new Date().toISOString();
  const metaText = JSON.stringify(meta);
  for (let from = 0; from < REPLAY_EVENTS; from += 5_000) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let i = from; i < Math.min(from + 5_000, REPLAY_EVENTS); i++) {
      const e = syntheticEvent(i);
      const row = [i + 1, e.eventId, e.stream, 'download', e.pos, e.type, 1, e.data, metaText, recorded];
      tuples.push(`(${row.map((_, k) => `$${values.length + k + 1}`).join(', ')})`);
      values.push(...row);
    }
    await db.pool.query(`INSERT INTO events (global_position, event_id, stream_id, category, stream_position, type, schema_version, data, metadata, recorded_at) VALUES ${tuples.join(', ')}`, values);
  }
  const store = await createPostgresEventStore(db, eventRegistry, projections, () => new Date());
  try {
    return await rawVersusReplay(store, async () => {
      let parsed = 0;
      for (let after = 0; ;) {
        const { rows } = await db.pool.query<{ global_position: number; data: string; metadata: string }>(
          'SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 20000', [after]);
        if (rows.length === 0) return parsed;
        for (const row of rows) {
          JSON.parse(row.data);
          JSON.parse(row.metadata);
        }
        parsed += rows.length;
        after = rows.at(-1)!.global_position;
      }
    }, { raw: 'raw pg read (pages of 20,000)', replay: 'comfyui-dl replay on PostgreSQL (decode, upcast, fold every view, write)', goal: '' });
  } finally {
    await store.close();
  }
}

/**
 * Two hosts on one database: host A appends one event at a time, host B's commit feed (LISTEN/NOTIFY, then a read
 * of the table) delivers it. Each sample is A's append call to B's delivery.
 */
async function liveLatency(url: string): Promise<string[][]> {
  const [dbA, dbB] = [(await openPostgres(url))._unsafeUnwrap(), (await openPostgres(url))._unsafeUnwrap()];
  const a = await createPostgresEventStore(dbA, eventRegistry, projections, () => new Date(), { host: 'a' });
  const b = await createPostgresEventStore(dbB, eventRegistry, projections, () => new Date(), { host: 'b' });
  const samples: number[] = [];
  try {
    for (let i = 0; i < 300; i++) {
      const eventId = `live-${i}`;
      const seen = new Promise<number>((resolve) => {
        const sub = b.commits$.subscribe((batch) => {
          if (batch.some((e) => e.eventId === eventId)) {
            sub.unsubscribe();
            resolve(performance.now());
          }
        });
      });
      const t0 = performance.now();
      (await a.append([{ streamId: 'settings', events: [{ eventId, type: 'settings.changed', data: { key: 'concurrency', value: 1 + (i % 8) } }], metadata: meta }]))._unsafeUnwrap();
      samples.push((await seen) - t0);
    }
  } finally {
    await a.close();
    await b.close();
    await dbA.close();
    await dbB.close();
  }
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return [['one event appended on host A until host B\'s feed delivers it (300 in a row)', `${fmt(at(0.5))} ms`, `${fmt(at(0.95))} ms`, `${fmt(sorted.at(-1)!)} ms`]];
}

async function onPostgres(): Promise<void> {
  let server: PgServer | undefined;
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    if (postgresMissing) return void console.log(`\nPostgreSQL: skipped (${postgresMissing}; or set BENCH_DATABASE_URL to an empty database)`);
    server = await startPostgres({ durable: true });
  }
  try {
    const fresh = async () => (await openPostgres(server ? await server.createDatabase() : url!))._unsafeUnwrap();
    const appendDb = await fresh();
    try {
      const store = await createPostgresEventStore(appendDb, eventRegistry, projections, () => new Date());
      printTable('Appends on PostgreSQL', [['case', 'rate', 'per transaction'], ...(await appendRates(store, 'PostgreSQL over 127.0.0.1'))]);
      await store.close();
    } finally {
      await appendDb.close();
    }
    const liveUrl = server ? await server.createDatabase() : url!;
    printTable('Live feed between hosts on PostgreSQL', [['case', 'median', 'p95', 'max'], ...(await liveLatency(liveUrl))]);
    const replayDb = server ? await fresh() : undefined;
    if (replayDb) {
      try {
        printTable('Replay on PostgreSQL', [['case', 'time (median of 3)', 'rate', 'ratio'], ...(await postgresReplay(replayDb))]);
      } finally {
        await replayDb.close();
      }
    }
  } finally {
    await server?.stop();
  }
}

try {
  console.log(`comfyui-dl store benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  const only = process.env.BENCH_STORE_ONLY;
  if (only !== 'postgres') {
    printTable('Appends', [['case', 'rate', 'per transaction'], ...(await sqliteAppendRates())]);
    printTable('Replay', [['case', 'time (median of 3)', 'rate', 'ratio'], ...(await replayVersusRaw())]);
    printTable('CLI round trip', [['case', 'median of 25', 'difference'], ...(await cliRoundTrip())]);
  }
  if (only !== 'sqlite') await onPostgres();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
