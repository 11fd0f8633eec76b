import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait, CANARY_KEY } from '../support/downloads.js';

// Credentials pasted inside a reference: they must be nowhere afterwards, not in the append-only log (its file
// and its write-ahead log, read as raw bytes), not in `history`, not in the daemon's output, not in an error.
const CANARIES = {
  password: 'CanaryPass1x',
  apiKey: 'CanaryKey2x',
  fragmentToken: 'CanaryToken3x',
  hfToken: 'hf_CanaryFourAbcdefghijklmnop4',
  failingPassword: 'CanaryPass5x',
  failingKey: 'CanaryKey6x',
} as const;

describe('credentials in pasted references, end to end', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  const outputs: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ apiKey: CANARY_KEY });
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, CIVITAI_API_KEY: CANARY_KEY });
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('records the reference with its credentials masked, and downloads it all the same', async () => {
    const host = new URL(sim.apiUrl).host;
    const page = (ids: { modelId: number; versionId: number }) => `/models/${ids.modelId}?modelVersionId=${ids.versionId}`;
    const refs = [
      `http://canaryuser:${CANARIES.password}@${host}${page(DEFAULT_IDS.sd15Checkpoint)}`,
      `http://${host}${page(DEFAULT_IDS.sdxlLora)}&api_key=${CANARIES.apiKey}`,
      `http://${host}${page(DEFAULT_IDS.vae)}#token=${CANARIES.fragmentToken}`,
      `http://${host}${page(DEFAULT_IDS.embedding)}&hf=${CANARIES.hfToken}`,
    ];
    for (const ref of refs) {
      const { code, job, stderr } = await addAndWait(home, [ref]);
      outputs.push(stderr, JSON.stringify(job));
      expect(code, stderr).toBe(0);
      expect(job).toMatchObject({ state: 'completed' });
    }
    const requested = await cliJson<EventJson[]>(home, ['history', '--type', 'download.requested']);
    expect(requested.map((e) => e.data.input)).toEqual([
      `http://***@${host}${page(DEFAULT_IDS.sd15Checkpoint)}`,
      `http://${host}${page(DEFAULT_IDS.sdxlLora)}&api_key=***`,
      `http://${host}${page(DEFAULT_IDS.vae)}#token=***`,
      `http://${host}${page(DEFAULT_IDS.embedding)}&hf=hf_***`,
    ]);
  });

  it('keeps them out of the error a bad reference gets', async () => {
    const r = await cli(home, ['add', `http://someone:${CANARIES.failingPassword}@${new URL(sim.apiUrl).host}/nowhere?api_key=${CANARIES.failingKey}`]);
    outputs.push(r.stdout, r.stderr);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is neither a model page .* nor a download URL/);
    expect(r.stderr).toContain('http://***@');
  });

  it('leaves no trace in the log file, its WAL, history, the queue or the daemon output', async () => {
    for (const args of [['history', '--json', '--limit', '10000'], ['history', '--limit', '10000'], ['queue', '--all', '--json'], ['list', '--json']]) {
      const r = await cli(home, args);
      expect(r.code).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const files = ['events.db', 'events.db-wal'].map((f) => join(home.dataDir, f)).filter(existsSync);
    expect(files.length).toBeGreaterThan(0);
    const raw = files.map((f) => readFileSync(f));
    for (const [name, canary] of Object.entries(CANARIES)) {
      for (const [i, bytes] of raw.entries()) expect(bytes.includes(canary), `${name} in ${files[i]}`).toBe(false);
      for (const text of outputs) expect(text, name).not.toContain(canary);
      expect(daemon.stderr(), name).not.toContain(canary);
    }
  });
});
