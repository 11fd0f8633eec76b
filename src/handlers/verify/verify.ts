import { randomUUID } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { HashPool } from '../../hashing/index.js';
import type { EventStore } from '../../store/event-store.js';

export interface VerifyTarget {
  /** As the catalog stores it: relative to the models folder, or absolute for other roots. */
  readonly path: string;
  readonly sha256: string;
}

export interface VerifyResult {
  readonly path: string;
  readonly status: 'ok' | 'changed' | 'missing' | 'unknown';
  readonly expected: string | null;
  readonly actual: string | null;
}

/** What the user sent (absolute, or relative to the models folder) → the forms the catalog may hold it under. */
export function catalogPathsOf(input: string, modelsDir: string): string[] {
  if (!isAbsolute(input)) return [input.split(sep).join('/')];
  const fromModels = relative(modelsDir, input);
  return !fromModels.startsWith('..') && !isAbsolute(fromModels) ? [fromModels.split(sep).join('/'), input] : [input];
}

/**
 * Re-hashes files against the SHA-256 the log holds for them and records each answer as a `file.verified`
 * event: ok, changed (the bytes on disk are not the ones recorded) or missing.
 */
export async function verifyFiles(
  deps: { store: EventStore; hashPool: HashPool; modelsDir: string },
  targets: readonly VerifyTarget[],
): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const t of targets) {
    const absolute = isAbsolute(t.path) ? t.path : resolve(deps.modelsDir, t.path);
    let actual: string | null = null;
    let status: VerifyResult['status'];
    try {
      actual = await deps.hashPool.hashFile(absolute);
      status = actual === t.sha256 ? 'ok' : 'changed';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      status = 'missing';
    }
    const appended = await deps.store.append([{
      streamId: `file-${t.sha256}`,
      events: [{ eventId: randomUUID(), type: 'file.verified', data: { path: t.path, status, expected: t.sha256, actual } }],
      metadata: { actor: 'daemon' },
    }]);
    if (appended.isErr()) throw new Error(appended.error.message);
    results.push({ path: t.path, status, expected: t.sha256, actual });
  }
  return results;
}
