import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome } from '../support/daemon-process.js';
import { seedLog } from './support.js';

// The damaged-log matrix: a real event log, damaged in each of the ways a disk, a tool or a person damages files,
// then the real daemon started on it. Either it starts with every acknowledged event, or it exits 2 with the file,
// what is wrong and what to do, without a stack trace and without writing a byte to the log.

type Damage = (db: string) => void;

const garbageAt = (offset: (size: number) => number, length: number): Damage => (db) => {
  const at = offset(statSync(db).size);
  const fd = openSync(db, 'r+');
  writeSync(fd, randomBytes(length), 0, length, at);
  closeSync(fd);
};

interface Case {
  readonly name: string;
  readonly damage: Damage;
  /** 'starts', or the words the refusal must contain. */
  readonly outcome: 'starts' | RegExp;
  /** The file the message must name: the log or its WAL. */
  readonly names?: 'log' | 'wal';
}

const PAGE = 4096;
const CASES: readonly Case[] = [
  { name: 'intact after kill -9 (the control)', damage: () => undefined, outcome: 'starts' },
  { name: 'truncated to half its size', damage: (db) => truncateSync(db, Math.floor(statSync(db).size / PAGE / 2) * PAGE), outcome: /is damaged/ },
  { name: 'its last 8 KiB cut off', damage: (db) => truncateSync(db, statSync(db).size - 8192), outcome: /is damaged/ },
  { name: 'its last 8 KiB overwritten with garbage', damage: garbageAt((size) => size - 8192, 8192), outcome: /is damaged/ },
  { name: '4 KiB of garbage in the middle', damage: garbageAt((size) => Math.floor(size / PAGE / 2) * PAGE, PAGE), outcome: /is damaged/ },
  { name: 'garbage over the file header (offset 0)', damage: garbageAt(() => 0, 100), outcome: /is not an SQLite database/ },
  { name: "garbage in the first page's b-tree (offset 100)", damage: garbageAt(() => 100, 400), outcome: /is damaged/ },
  { name: 'garbage on page 2 (offset 4096)', damage: garbageAt(() => PAGE, PAGE), outcome: /is damaged/ },
  { name: 'a write-ahead log that is all garbage', damage: (db) => writeFileSync(`${db}-wal`, randomBytes(statSync(`${db}-wal`).size)), outcome: /is not a write-ahead log \(its header has the wrong magic number\)/, names: 'wal' },
  { name: 'a write-ahead log torn after its header (a crash mid-write)', damage: (db) => garbageAt((size) => size - 2000, 2000)(`${db}-wal`), outcome: 'starts' },
  { name: 'an empty file (0 bytes)', damage: (db) => { truncateSync(db, 0); rmSync(`${db}-wal`, { force: true }); }, outcome: /is empty \(0 bytes\)/ },
];

const sha = (path: string): string => (existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent');

describe('a damaged event log, by the real daemon', () => {
  let template: string;
  let acknowledged: number;
  const outcomes: string[] = [];

  beforeAll(async () => {
    // A log as a crash leaves it: thousands of events checkpointed into the file, the latest only in the WAL.
    const home = daemonHome();
    try {
      await seedLog(home.dataDir, 3000);
      const daemon = await spawnDaemon(home);
      for (const value of [3, 5, 7]) expect((await cli(home, ['config', 'set', 'connections', String(value)])).code).toBe(0);
      acknowledged = (await cliJson<{ position: number }>(home, ['status'])).position;
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      expect(statSync(join(home.dataDir, 'events.db-wal')).size).toBeGreaterThan(0);
      template = mkdtempSync(join(tmpdir(), 'comfyui-dl-damaged-'));
      cpSync(home.dataDir, template, { recursive: true });
    } finally {
      home.cleanup();
    }
  }, 60_000);
  afterAll(() => {
    if (template) rmSync(template, { recursive: true, force: true });
    process.stdout.write(`damaged-log matrix:\n${outcomes.map((o) => `  ${o}`).join('\n')}\n`);
  });

  const run = async (c: Case, home: DaemonHome): Promise<void> => {
    const db = join(home.dataDir, 'events.db');
    cpSync(template, home.dataDir, { recursive: true });
    c.damage(db);
    const before = [sha(db), sha(`${db}-wal`)];
    if (c.outcome === 'starts') {
      const daemon = await spawnDaemon(home);
      const status = await cliJson<{ position: number }>(home, ['status']);
      expect(status.position).toBeGreaterThanOrEqual(c.name.startsWith('intact') ? acknowledged : 3000);
      expect(await daemon.stop()).toBe(0);
      outcomes.push(`${c.name}: starts, log at position ${status.position} (acknowledged before the crash: ${acknowledged})`);
      return;
    }
    const started = Date.now();
    const r = await cli(home, ['daemon'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    const file = c.names === 'wal' ? `${db}-wal` : db;
    expect(r.stderr).toContain(`cannot start: the event log ${file} `);
    expect(r.stderr).toMatch(c.outcome);
    expect(r.stderr).toMatch(/the daemon will not write to it/);
    expect(r.stderr).toMatch(/comfyui-dl replay|start fresh|delete it/);
    expect(r.stderr).not.toMatch(/\n\s+at |SqliteError|node:internal/);
    // Not a byte written: neither the log nor its WAL changed.
    expect([sha(db), sha(`${db}-wal`)]).toEqual(before);
    expect(existsSync(home.socket)).toBe(false);
    outcomes.push(`${c.name}: exit 2 in ${Date.now() - started} ms: ${r.stderr.trim().replace(/^\S+ cannot start: /, '').slice(0, 160)}…`);
  };

  for (const c of CASES) {
    it(c.name, async () => {
      const home = daemonHome();
      try {
        await run(c, home);
      } finally {
        home.cleanup();
      }
    }, 60_000);
  }
});
