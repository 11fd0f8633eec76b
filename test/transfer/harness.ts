import { afterAll, beforeAll } from 'vitest';
// Shared set-up for the transfer tests: one simulated CivitAI with a few plain files, a resolver that asks its
// download endpoint for a signed storage URL (as the daemon does), and checks of what the engine reports.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { request } from 'undici';
import { expect } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import type { DurableChunk, Segment, SegmentSplit, TransferCallbacks, TransferError, Validator } from '../../src/transfer/index.js';

export const MiB = 1024 * 1024;
export const API_KEY = 'test-key-0123456789';
/** For tests that count the requests made: no connection takes over part of another's segment. */
export const NO_STEALING = { minSplitBytes: 2 ** 40 } as const;

/** File ids and their sizes; version id = file id + 1000. */
export const FILES = { big: { id: 501, size: 48 * MiB + 12_345 }, small: { id: 502, size: 3 * MiB + 7 } } as const;
export type FileName = keyof typeof FILES;

export async function startWorld(): Promise<Simulator> {
  return startSimulator({
    apiKey: API_KEY,
    world: {
      models: Object.entries(FILES).map(([name, file]) => ({
        id: file.id + 2000,
        name: `Plain ${name}`,
        type: 'Checkpoint',
        versions: [
          {
            id: file.id + 1000,
            name: 'v1',
            baseModel: 'SD 1.5',
            files: [{ id: file.id, name: `${name}.safetensors`, content: { format: 'bytes' as const, size: file.size } }],
          },
        ],
      })),
    },
  });
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Asks the download endpoint for a signed storage URL without following the redirect, as the daemon does. */
export function resolverFor(sim: Simulator, file: FileName, calls: { count: number } = { count: 0 }) {
  return async (): Promise<Result<{ url: string }, TransferError>> => {
    calls.count += 1;
    const response = await request(`${sim.apiUrl}/api/download/models/${FILES[file].id + 1000}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    await response.body.dump();
    const location = response.headers.location;
    if (response.statusCode !== 307 || typeof location !== 'string') {
      return err({ code: 'HTTP_STATUS', message: `download endpoint answered ${response.statusCode}`, status: response.statusCode, retryable: false });
    }
    return ok({ url: location });
  };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'transfer-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Ranges the storage host was asked for, as [start, end) pairs, in order. */
export function storageRanges(sim: Simulator, from = 0): Array<[number, number] | 'none'> {
  return sim.requests
    .slice(from)
    .filter((r) => r.host === 'storage')
    .map((r) => {
      const range = r.headers.range;
      const match = typeof range === 'string' ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
      return match ? [Number(match[1]), Number(match[2]) + 1] : 'none';
    });
}

/**
 * Callbacks that record everything and check, at the moment of each durable report, that the reported bytes
 * are the right ones and already in the file, and that a segment's reports follow each other.
 */
export function recorder(partPath: string, expected: Buffer, initial: readonly Segment[]) {
  const durable: DurableChunk[] = [];
  const restarts: Array<{ reason: string; segments: Segment[]; rangesIgnored: boolean }> = [];
  const retries: Array<{ segment: number; failure: string; detail: string; delayMs: number }> = [];
  const refreshes: string[] = [];
  const validators: Validator[] = [];
  const progress: number[] = [];
  const splits: SegmentSplit[] = [];
  const connections: number[] = [];
  let layout: readonly Segment[] = initial;
  let next = new Map(initial.map((s) => [s.index, s.start + s.done]));
  const problems: string[] = [];
  const callbacks: TransferCallbacks = {
    onDurable(chunk) {
      durable.push(chunk);
      const owner = layout.find((s) => s.index === chunk.segment);
      if (owner === undefined || chunk.offset + chunk.length > owner.end) problems.push(`chunk ${chunk.offset}+${chunk.length} outside segment ${chunk.segment}`);
      if (next.get(chunk.segment) !== chunk.offset) problems.push(`segment ${chunk.segment}: chunk at ${chunk.offset}, expected ${next.get(chunk.segment)}`);
      next.set(chunk.segment, chunk.offset + chunk.length);
      const onDisk = Buffer.alloc(chunk.length);
      const fd = openSync(partPath, 'r');
      readSync(fd, onDisk, 0, chunk.length, chunk.offset);
      closeSync(fd);
      if (!onDisk.equals(expected.subarray(chunk.offset, chunk.offset + chunk.length))) {
        problems.push(`chunk ${chunk.offset}+${chunk.length} reported before its bytes were in the file`);
      }
    },
    onProgress: (bytes) => progress.push(bytes),
    onRestart(restart) {
      restarts.push(restart);
      layout = restart.segments;
      next = new Map(restart.segments.map((s) => [s.index, s.start]));
    },
    onSplit(split) {
      splits.push(split);
      const owner = layout.find((s) => s.index === split.segment);
      if (owner === undefined) return void problems.push(`split of unknown segment ${split.segment}`);
      if ((next.get(split.segment) ?? 0) > split.at) problems.push(`segment ${split.segment} split at ${split.at}, behind its reported ${next.get(split.segment)}`);
      layout = [...layout.map((s) => (s === owner ? { ...s, end: split.at } : s)), { index: split.newSegment, start: split.at, end: owner.end, done: 0 }];
      next.set(split.newSegment, split.at);
    },
    onValidator: (validator) => validators.push(validator),
    onConnections: (open) => connections.push(open),
    onRetry: (retry) => retries.push(retry),
    onUrlRefreshed: (reason) => refreshes.push(reason),
  };
  /** The segments with `done` as the durable reports left them: what a daemon rebuilds after a crash. */
  const resumeState = (): Segment[] => layout.map((s) => ({ ...s, done: (next.get(s.index) ?? s.start + s.done) - s.start }));
  const assertSound = (): void => expect(problems).toEqual([]);
  return { callbacks, durable, splits, connections, restarts, retries, refreshes, validators, progress, resumeState, assertSound };
}

export interface BigFileWorld {
  readonly sim: Simulator;
  readonly big: Buffer;
  readonly bigSha: string;
  readonly folder: { dir: string; cleanup: () => Promise<void> };
}

/** The simulator, the big file's bytes and hash, and a temp folder, set up once for a test file. */
export function bigFileWorld(): BigFileWorld {
  const world = {} as { -readonly [K in keyof BigFileWorld]: BigFileWorld[K] };
  beforeAll(async () => {
    world.sim = await startWorld();
    world.big = world.sim.fileBytes(FILES.big.id);
    world.bigSha = sha256(world.big);
    world.folder = await tempDir();
  });
  afterAll(async () => {
    await world.sim?.close();
    await world.folder?.cleanup();
  });
  return world;
}

/**
 * Waits until the simulator has seen no new request for a while, then clears its faults. A transfer that gave up
 * has aborted its connections, but a request already on the wire still reaches the server afterwards; without this
 * it could take a fault meant for the next test.
 */
export async function clearFaultsWhenQuiet(sim: Simulator, quietMs = 150): Promise<void> {
  for (let seen = -1; seen !== sim.requests.length;) {
    seen = sim.requests.length;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
  sim.clearFaults();
}
