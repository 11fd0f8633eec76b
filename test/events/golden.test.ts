import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventRegistry } from '../../src/events/index.js';
import { createRegistry, defineEvent } from '../../src/events/registry.js';

const dir = join(import.meta.dirname, '../fixtures/events');
const fixtures = readdirSync(dir).map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as { type: string; schemaVersion: number; data: unknown }) }));

describe('stored event versions', () => {
  it.each(fixtures)('$file still decodes to the current shape', ({ type, schemaVersion, data }) => {
    expect(eventRegistry.decode(type, schemaVersion, data).isOk()).toBe(true);
  });

  it('every version of every event type has a golden fixture', () => {
    const have = new Set(fixtures.map((f) => `${f.type}.v${f.schemaVersion}`));
    const missing = [...eventRegistry.definitions.values()].flatMap((d) =>
      Array.from({ length: d.version }, (_, i) => `${d.type}.v${i + 1}`).filter((k) => !have.has(k)),
    );
    expect(missing).toEqual([]);
  });

  it('upcasts an old version through each step on read, and validates on the way', () => {
    const registry = createRegistry([
      defineEvent('thing.happened', z.object({ name: z.string(), size: z.number(), unit: z.string() }), {
        version: 3,
        past: {
          1: { schema: z.object({ title: z.string() }), up: (d) => ({ name: (d as { title: string }).title, size: 0 }) },
          2: { schema: z.object({ name: z.string(), size: z.number() }), up: (d) => ({ ...(d as object), unit: 'B' }) },
        },
      }),
    ]);
    expect(registry.decode('thing.happened', 1, { title: 'x' })._unsafeUnwrap()).toEqual({ name: 'x', size: 0, unit: 'B' });
    expect(registry.upcastTrusted('thing.happened', 2, { name: 'y', size: 2 })).toEqual({ name: 'y', size: 2, unit: 'B' });
    expect(registry.decode('thing.happened', 1, { nope: 1 })._unsafeUnwrapErr().code).toBe('INVALID_EVENT_DATA');
    expect(registry.decode('thing.happened', 4, {})._unsafeUnwrapErr().code).toBe('UNKNOWN_EVENT_VERSION');
    expect(registry.decode('other', 1, {})._unsafeUnwrapErr().code).toBe('UNKNOWN_EVENT_TYPE');
  });
});

describe('download.resolved v1 → v2', () => {
  it('a v1 event was always CivitAI: it reads back with source civitai and every field it had', () => {
    const v1 = fixtures.find((f) => f.file === 'download.resolved.v1.json')!;
    expect(eventRegistry.decode('download.resolved', 1, v1.data)._unsafeUnwrap()).toEqual({ ...(v1.data as object), source: 'civitai' });
    expect(eventRegistry.upcastTrusted('download.resolved', 1, v1.data)).toEqual({ ...(v1.data as object), source: 'civitai' });
  });

  it('a v1 hash mismatch compared SHA-256 values', () => {
    const v1 = fixtures.find((f) => f.file === 'download.hash_mismatched.v1.json')!;
    expect(eventRegistry.decode('download.hash_mismatched', 1, v1.data)._unsafeUnwrap()).toEqual({ algorithm: 'sha256', ...(v1.data as object) });
  });
});
