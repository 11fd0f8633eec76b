import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEvent } from '../../src/events/index.js';
import { openTempStore } from '../support/temp-store.js';

/** Writes an event log of `count` settings changes into `dataDir`, as a daemon would have left it. */
export async function seedLog(dataDir: string, count: number): Promise<void> {
  const t = await openTempStore();
  try {
    const events = Array.from({ length: count }, (_, i) => newEvent(`seed-${i}`, 'settings.changed', { key: 'connections', value: 1 + (i % 16) }));
    (await t.store.append([{ streamId: 'settings', events, metadata: { actor: 'test' } }]))._unsafeUnwrap();
    // Closing checkpoints the WAL into the file, so the one file is the whole log.
    await t.db.close();
    mkdirSync(dataDir, { recursive: true });
    copyFileSync(join(t.dir, 'events.db'), join(dataDir, 'events.db'));
  } finally {
    await t.close();
  }
}

/** A process's resident memory in bytes, from the kernel (VmRSS of /proc/<pid>/status). */
export function residentBytes(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(line[1]) * 1024;
}
