import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntryJson, JobJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome } from '../support/daemon-process.js';
import { postgresMissing, startPostgres, type PgServer } from '../support/postgres.js';

describe.skipIf(postgresMissing !== undefined)(`comfyui-dl migrate --to postgres://…${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  let server: PgServer;
  let sim: Simulator;
  let home: DaemonHome;

  beforeAll(async () => {
    server = await startPostgres();
    sim = await startSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_HOST_NAME: 'workstation' });
  }, 60_000);
  afterAll(async () => {
    await sim?.close();
    await server?.stop();
    home?.cleanup();
  });

  it('copies a SQLite log event by event, checks the views, and the daemon goes on from it on PostgreSQL', { timeout: 120_000 }, async () => {
    const sqliteDaemon = await spawnDaemon(home);
    const done = await cliJson<JobJson>(home, ['add', '--version', String(DEFAULT_IDS.sdxlLora.versionId), '--wait']);
    expect(done.state).toBe('completed');
    expect(done.host ?? null).toBeNull();
    const before = await cliJson<{ position: number }>(home, ['status']);

    const url = await server.createDatabase();
    // The daemon holds its data folder: it must be stopped first.
    const busy = await cli(home, ['migrate', '--to', url]);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/stop the daemon/);
    await sqliteDaemon.stop();

    const migrated = await cli(home, ['migrate', '--to', url]);
    expect(migrated.stderr + migrated.stdout).not.toContain(server.password);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`copied ${before.position} events to postgres://\\*\\*\\*@127\\.0\\.0\\.1:\\d+/\\w+`));
    expect(migrated.stdout).toMatch(/views match: view_jobs 1, .*view_catalog 1/);

    // Into a database that already holds a log: refused, nothing touched.
    const again = await cli(home, ['migrate', '--to', url]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds a log of \d+ events/);
    expect(again.stderr).not.toContain(server.password);

    const pgDaemon = await spawnDaemon(home, [], { COMFYUI_DL_DATABASE_URL: url });
    try {
      const status = await cliJson<{ position: number; dbPath: string }>(home, ['status']);
      // The log goes on from the copy (the start may add a scan's events).
      expect(status.position).toBeGreaterThanOrEqual(before.position);
      const [entry] = await cliJson<CatalogEntryJson[]>(home, ['list']);
      expect(entry).toMatchObject({ path: done.path, host: 'workstation', versionId: DEFAULT_IDS.sdxlLora.versionId });
      const jobs = await cliJson<JobJson[]>(home, ['queue', '--all']);
      expect(jobs.map((j) => [j.id, j.state, j.host])).toEqual([[done.id, 'completed', 'workstation']]);
    } finally {
      await pgDaemon.stop();
    }
  });
});
