import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEvent } from '../../src/events/index.js';
import type { OpenedDatabase } from '../../src/store/database.js';
import { backends, rawQuery, type TempStore } from '../support/temp-store.js';

const meta = { actor: 'test' } as const;
const setting = (id: string, value: number) => newEvent(id, 'settings.changed', { key: 'concurrency', value });

describe.each(backends())('event store on $name', (backend) => {
  let t: TempStore<OpenedDatabase>;
  beforeEach(async (context) => {
    if (backend.skip) return context.skip(backend.skip);
    t = await backend.open();
  });
  afterEach(async () => t?.close());

  it('appends with global and stream positions and reads them back', async () => {
    const r = (await t.store.append([{ streamId: 'settings', events: [setting('a', 2), setting('b', 3)], metadata: meta }]));
    expect(r._unsafeUnwrap().map((e) => [e.position, e.streamPosition])).toEqual([[1, 1], [2, 2]]);
    expect((await t.store.readStream('settings')).map((e) => e.data)).toEqual([{ key: 'concurrency', value: 2 }, { key: 'concurrency', value: 3 }]);
    expect((await t.store.head())).toBe(2);
  });

  it('rejects a stale expected version with CONFLICT and writes nothing', async () => {
    (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], expectedVersion: 0, metadata: meta }]))._unsafeUnwrap();
    const stale = (await t.store.append([{ streamId: 'settings', events: [setting('b', 3)], expectedVersion: 0, metadata: meta }]));
    expect(stale._unsafeUnwrapErr()).toMatchObject({ code: 'CONFLICT', expected: 0, actual: 1 });
    expect((await t.store.head())).toBe(1);
  });

  it('treats a retried append with the same event ids as done, not as new events', async () => {
    const first = (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], expectedVersion: 0, metadata: meta }]))._unsafeUnwrap();
    const retry = (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], expectedVersion: 0, metadata: meta }]))._unsafeUnwrap();
    expect(retry.map((e) => e.position)).toEqual(first.map((e) => e.position));
    expect((await t.store.head())).toBe(1);
  });

  it('pages backwards from a position, by categories, leaving types out', async () => {
    for (let i = 1; i <= 9; i++) {
      const streamId = ['settings', 'download-a', 'file-b'][i % 3]!;
      (await t.store.append([{ streamId, events: [setting(`e${i}`, 1 + i)], metadata: meta }]))._unsafeUnwrap();
    }
    const positions = async (o: Parameters<typeof t.store.readAll>[0]) => (await t.store.readAll(o)).map((e) => e.position);
    expect(await positions({ after: 0, before: 8, limit: 3 })).toEqual([5, 6, 7]);
    expect(await positions({ after: 0, before: 3, limit: 3 })).toEqual([1, 2]);
    expect(await positions({ after: 0, before: 10, limit: 10, categories: ['download', 'file'] })).toEqual([1, 2, 4, 5, 7, 8]);
    expect(await positions({ after: 0, before: 10, limit: 2, categories: ['settings'] })).toEqual([6, 9]);
    expect(await positions({ after: 0, limit: 10, excludeTypes: ['settings.changed'] })).toEqual([]);
  });

  it('refuses UPDATE and DELETE on the log at the database level', async () => {
    (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], metadata: meta }]))._unsafeUnwrap();
    await expect(rawQuery(t.db, "UPDATE events SET type = 'x'")).rejects.toThrow(/append-only/);
    await expect(rawQuery(t.db, 'DELETE FROM events')).rejects.toThrow(/append-only/);
  });

  it('rejects data that does not match the event schema before writing', async () => {
    const bad = (await t.store.append([{ streamId: 'settings', events: [{ eventId: 'x', type: 'settings.changed', data: { key: 'concurrency', value: 99 } }], metadata: meta }]));
    expect(bad._unsafeUnwrapErr().code).toBe('INVALID_EVENT');
    const unknown = (await t.store.append([{ streamId: 'settings', events: [{ eventId: 'y', type: 'nope.happened', data: {} }], metadata: meta }]));
    expect(unknown._unsafeUnwrapErr().message).toMatch(/unknown event type/);
    expect((await t.store.head())).toBe(0);
  });

  it('is all or nothing across streams in one append', async () => {
    (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], metadata: meta }]))._unsafeUnwrap();
    const r = (await t.store.append([
      { streamId: 'download-j1', events: [newEvent('b', 'download.resumed', {})], metadata: meta },
      { streamId: 'settings', events: [setting('c', 3)], expectedVersion: 0, metadata: meta },
    ]));
    expect(r.isErr()).toBe(true);
    expect((await t.store.head())).toBe(1);
  });

  it('pages by position with filters', async () => {
    for (let i = 0; i < 25; i++) {
      (await t.store.append([{ streamId: i % 2 ? 'settings' : `download-j${i}`, events: [i % 2 ? setting(`s${i}`, 1 + (i % 5)) : newEvent(`d${i}`, 'download.resumed', {})], metadata: meta }]))._unsafeUnwrap();
    }
    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const page = (await t.store.readAll({ after, limit: 10 }));
      if (page.length === 0) break;
      pages.push(page.map((e) => e.position));
      after = page.at(-1)!.position;
    }
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect((await t.store.readAll({ after: 0, limit: 100, category: 'settings' }))).toHaveLength(12);
    expect((await t.store.readAll({ after: 0, limit: 100, types: ['download.resumed'] }))).toHaveLength(13);
    expect((await t.store.readAll({ after: 0, limit: 100, streamId: 'download-j4' }))).toHaveLength(1);
  });

  it('emits each committed batch once, after commit', async () => {
    const seen: number[] = [];
    const sub = t.store.commits$.subscribe((batch) => seen.push(...batch.map((e) => e.position)));
    (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], metadata: meta }]));
    (await t.store.append([{ streamId: 'settings', events: [setting('a', 2)], metadata: meta }])); // retry: nothing new
    (await t.store.append([{ streamId: 'settings', events: [setting('b', 4)], metadata: meta }]));
    sub.unsubscribe();
    expect(seen).toEqual([1, 2]);
  });
});
