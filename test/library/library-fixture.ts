// Shared set-up for the library handler tests: a simulator, a real store, a client and a models folder.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createCivitaiClient, type CivitaiClient } from '../../src/civitai/client.js';
import { buildSafetensorsHeader } from '../../src/safetensors/build.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { eventsOfType, openTempStore, type TempStore } from '../support/temp-store.js';

export interface LibraryFixture {
  readonly sim: Simulator;
  readonly t: TempStore;
  readonly client: CivitaiClient;
  readonly modelsDir: string;
  readonly logs: string[];
  readonly log: (line: string) => void;
  /** Writes a file under the models folder, dated an hour ago: files a user had long before the scan. */
  put(path: string, bytes: Uint8Array | string): string;
  events(type: string): { eventId: string; data: unknown }[];
  close(): Promise<void>;
}

const HOUR_AGO = () => new Date(Date.now() - 3_600_000);

export async function openLibraryFixture(): Promise<LibraryFixture> {
  const sim = await startSimulator();
  const t = await openTempStore(() => new Date());
  // One attempt: a failure the test injects is seen once, not retried away.
  const client = createCivitaiClient({ baseUrl: sim.apiUrl, retry: { maxAttempts: 1 } });
  const modelsDir = mkdtempSync(join(tmpdir(), 'comfyui-dl-models-'));
  const logs: string[] = [];
  return {
    sim, t, client, modelsDir, logs,
    log: (line) => logs.push(line),
    put(path, bytes) {
      const absolute = join(modelsDir, path);
      mkdirSync(dirname(absolute), { recursive: true });
      writeFileSync(absolute, bytes);
      utimesSync(absolute, HOUR_AGO(), HOUR_AGO());
      return absolute;
    },
    events: (type) => eventsOfType(t, type),
    async close() {
      await sim.close();
      await t.close();
      rmSync(modelsDir, { recursive: true, force: true });
    },
  };
}

/** A small real safetensors file CivitAI has never seen. */
export function homemadeLora(fill = 7): Buffer {
  const { prefix, fileLength } = buildSafetensorsHeader({ 'lora_unet_x.lora_down.weight': { dtype: 'F16', shape: [4, 8] } });
  return Buffer.concat([prefix, Buffer.alloc(fileLength - prefix.length, fill)]);
}
