// Warm restart scan: 10,000 small model files that a previous run already hashed and looked up. A restarted daemon
// must find them unchanged from the hash cache in its log (goal: ≤ 1 s, 0 rehashes). Run by `npm run bench`, or
// alone: `node dist/scripts/bench/scan.js`.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCivitaiClient } from '../../src/civitai/client.js';
import { eventRegistry } from '../../src/events/index.js';
import { createScanner } from '../../src/handlers/scan/scanner.js';
import { projections } from '../../src/projections/index.js';
import { buildSafetensorsHeader } from '../../src/safetensors/build.js';
import { startSimulator } from '../../src/simulator/index.js';
import { openDatabase } from '../../src/store/database.js';
import { createEventStore } from '../../src/store/event-store.js';
import { fmt, median, printTable } from './measure.js';

const FILES = Number(process.env.BENCH_SCAN_FILES ?? 10_000);

export async function scanBench(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-bench-scan-'));
  const sim = await startSimulator({ world: { models: [] } });
  try {
    const models = join(dir, 'models');
    const old = new Date(Date.now() - 30 * 86_400_000);
    for (let i = 0; i < FILES; i++) {
      const folder = join(models, 'loras', `set-${Math.floor(i / 500)}`);
      if (i % 500 === 0) mkdirSync(folder, { recursive: true });
      const { prefix, fileLength } = buildSafetensorsHeader({ [`lora_unet_block_${i}.lora_down.weight`]: { dtype: 'F16', shape: [4, 16] } });
      const file = join(folder, `lora-${i}.safetensors`);
      writeFileSync(file, Buffer.concat([prefix, Buffer.alloc(fileLength - prefix.length, i % 251)]));
      utimesSync(file, old, old);
    }
    const open = async () => {
      const db = (await openDatabase(join(dir, 'events.db')))._unsafeUnwrap();
      const store = createEventStore(db.sqlite, eventRegistry, projections, () => new Date());
      await store.catchUpProjections();
      const scanner = createScanner({
        store, db, client: createCivitaiClient({ baseUrl: sim.apiUrl }), log: () => undefined, modelsDir: models, ownDirs: [], previewMaxNsfwLevel: 1,
      });
      return { db, scanner };
    };
    // The first run hashes everything and asks CivitAI about every hash (a capped number per scan).
    const first = await open();
    const t0 = performance.now();
    let cold = await first.scanner.scan();
    const coldMs = performance.now() - t0;
    const hashedCold = first.scanner.hashOperations;
    for (let i = 0; i < 20 && cold.unknown < FILES; i++) cold = await first.scanner.scan();
    await first.db.close();

    // Each warm run is a restart: a new store and scanner on the same log, nothing in memory.
    const warm: number[] = [];
    let rehashed = 0;
    for (let round = 0; round < 3; round++) {
      const again = await open();
      const w0 = performance.now();
      await again.scanner.scan();
      warm.push(performance.now() - w0);
      rehashed += again.scanner.hashOperations;
      await again.db.close();
    }
    return [
      [`first scan of ${FILES.toLocaleString('en-US')} files (hash all, look up on CivitAI)`, `${fmt(coldMs, 0)} ms`, `${hashedCold} hashed`, ''],
      [`warm restart scan of ${FILES.toLocaleString('en-US')} files (median of 3)`, `${fmt(median(warm), 0)} ms`, `${rehashed} rehashed`, `goal ≤ 1,000 ms and 0 rehashes: ${median(warm) <= 1000 && rehashed === 0 ? 'met' : 'not met'}`],
    ];
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printTable('Startup scan', [['case', 'time', 'work', 'goal'], ...(await scanBench())]);
}
