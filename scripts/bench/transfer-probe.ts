// Manual throughput check of the transfer engine (not a test): downloads a 1 GiB simulator file and compares
// with curl on the same URL in the same run. The simulator runs in a child process so that serving the bytes
// does not share the engine's event loop. Run: npm run build && node dist/scripts/bench/transfer-probe.js
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ok } from 'neverthrow';
import { request } from 'undici';
import { hashFile } from '../../src/hashing/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { planSegments, transferFile } from '../../src/transfer/index.js';
import { fmt, median, printTable, timeCommand } from './measure.js';

const SIZE = Number(process.env.PROBE_BYTES ?? 1024 ** 3);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 4);
const FILE_ID = 9001;

async function serve(): Promise<void> {
  const sim = await startSimulator({
    world: {
      models: [{ id: 9003, name: 'Probe', type: 'Checkpoint', versions: [{ id: 9002, name: 'v1', baseModel: 'SD 1.5', files: [{ id: FILE_ID, name: 'probe.safetensors', content: { format: 'bytes', size: SIZE } }] }] }],
    },
  });
  const response = await request(`${sim.apiUrl}/api/download/models/9002`);
  await response.body.dump();
  process.send?.({ url: response.headers.location, sha256: sim.world.file(FILE_ID)?.servedSha256.toLowerCase() });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
}

async function probe(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  const { url, sha256 } = await new Promise<{ url: string; sha256: string }>((resolve) => child.once('message', resolve as (m: unknown) => void));
  const dir = mkdtempSync(join(tmpdir(), 'transfer-probe-'));
  const out = join(dir, 'probe.part');
  const mbps = (ms: number): number => SIZE / 1e6 / (ms / 1000);
  const fresh = (): void => {
    rmSync(out, { force: true });
    spawnSync('sync');
  };
  const times: Record<string, number[]> = {};
  const record = (name: string, ms: number): void => void (times[name] ??= []).push(ms);
  const tail: number[] = [];
  const curl = (name: string, command: string) => ({
    name,
    run: () => Promise.resolve(timeCommand('bash', ['-c', command, url, out])),
  });
  const engine = (connections: number, syncMs: number) => ({
    name: `engine, ${connections} connection${connections > 1 ? 's' : ''}, fdatasync every ${syncMs / 1000} s, +sha256`,
    run: async () => {
      let lastDurableAt = 0;
      const t0 = performance.now();
      const result = await transferFile(
        {
          partPath: out,
          totalBytes: SIZE,
          segments: planSegments(SIZE, connections, 16 * 1024 ** 2),
          connections,
          durableEvery: { bytes: 16 * 1024 ** 2, ms: syncMs },
          resolveUrl: () => Promise.resolve(ok({ url })),
          signal: new AbortController().signal,
        },
        { onDurable: () => void (lastDurableAt = performance.now()) },
      );
      const ms = performance.now() - t0;
      const outcome = result._unsafeUnwrap();
      if (outcome.sha256 !== sha256) throw new Error(`engine hash ${outcome.sha256} differs from ${sha256}`);
      if (connections === 4 && syncMs === 1000) {
        tail.push(ms - (lastDurableAt - t0));
        const h0 = performance.now();
        if ((await hashFile(out)) !== sha256) throw new Error('hashFile disagrees');
        record('hashFile of the result (page cache warm)', performance.now() - h0);
      }
      return ms;
    },
  });
  const cases = [
    curl('curl -o /dev/null', 'curl -sS -o /dev/null "$0"'),
    curl('curl -o file', 'curl -sS -o "$1" "$0"'),
    curl('curl -o file && sync', 'curl -sS -o "$1" "$0" && sync'),
    curl('curl | tee file | openssl sha256', 'curl -sS "$0" | tee "$1" | openssl dgst -sha256 >/dev/null'),
    engine(1, 1000),
    engine(4, 1000),
    engine(4, 4000),
  ];
  try {
    // Warm the simulator's content generation once.
    timeCommand('curl', ['-sS', '-o', '/dev/null', url]);
    // The order rotates every round: on this kind of VM whichever case runs first after a big delete pays more.
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < cases.length; i++) {
        const next = cases[(i + round) % cases.length];
        if (next === undefined) continue;
        fresh();
        record(next.name, await next.run());
      }
    }
    const curlAlone = median(times['curl -o file'] ?? [0]);
    const curlHash = median(times['curl | tee file | openssl sha256'] ?? [0]);
    printTable(`transfer probe: ${fmt(SIZE / 1e6, 0)} MB over loopback, median of ${ROUNDS}`, [
      ['what', 'median ms', 'MB/s', '× curl -o file', '× curl|tee|openssl'],
      ...[...cases.map((c) => c.name), 'hashFile of the result (page cache warm)'].map((name) => {
        const list = times[name] ?? [0];
        const m = median(list);
        return [name, fmt(m, 0), fmt(mbps(m), 0), fmt(m / curlAlone, 2), fmt(m / curlHash, 2)];
      }),
    ]);
    console.log(`\nhash tail after the last durable report (4 connections, 1 s): median ${fmt(median(tail), 0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    child.disconnect();
  }
}

await (process.argv.includes('--serve') ? serve() : probe());
