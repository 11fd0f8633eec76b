import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveFrom } from '../../src/store/live.js';
import type { OpenedDatabase } from '../../src/store/database.js';
import { backends, type TempStore } from '../support/temp-store.js';

const appendOne = async (t: TempStore<OpenedDatabase>, i: number, stream = 'settings') =>
  (await t.store.append([{ streamId: stream, events: [{ eventId: `e${i}`, type: 'settings.changed', data: { key: 'concurrency', value: 1 + (i % 16) } }], metadata: { actor: 'test' } }]))._unsafeUnwrap();

describe.each(backends())('live stream on $name', (backend) => {
  let t: TempStore<OpenedDatabase>;
  beforeEach(async (context) => {
    if (backend.skip) return context.skip(backend.skip);
    t = await backend.open();
  });
  afterEach(async () => t?.close());

  it('a subscriber joining mid-history while a writer appends sees every event once, in order', { timeout: 90_000 }, async () => {
    // PostgreSQL's appends are round trips: a shorter history there proves the same.
    const [history, total, from] = backend.name === 'sqlite' ? [2500, 3000, 1000] : [600, 800, 200];
    for (let i = 1; i <= history; i++) await appendOne(t, i);
    // A concurrent writer: one append per event-loop turn while the subscriber pages through history.
    let written = history;
    const writer = setInterval(() => {
      for (let k = 0; k < 5 && written < total; k++) void appendOne(t, ++written);
      if (written >= total) clearInterval(writer);
    }, 0);
    const positions = await firstValueFrom(
      liveFrom(t.store, from, {}, 97).pipe(
        filter((item) => item.kind === 'event'),
        take(total - from),
        toArray(),
      ),
    );
    clearInterval(writer);
    expect(positions.map((p) => (p.kind === 'event' ? p.event.position : -1))).toEqual(Array.from({ length: total - from }, (_, i) => from + 1 + i));
  });

  it('announces when it has caught up, then goes on with new events', async () => {
    for (let i = 1; i <= 10; i++) await appendOne(t, i);
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      const sub = liveFrom(t.store, 0, { types: ['settings.changed'] }).subscribe((item) => {
        seen.push(item.kind === 'event' ? `e${item.event.position}` : `caught_up@${item.position}`);
        if (item.kind === 'caught_up') void appendOne(t, 11);
        if (item.kind === 'event' && item.event.position === 11) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await done;
    expect(seen).toEqual([...Array.from({ length: 10 }, (_, i) => `e${i + 1}`), 'caught_up@10', 'e11']);
  });

  it('filters by stream without losing its place', async () => {
    for (let i = 1; i <= 30; i++) await appendOne(t, i, i % 3 === 0 ? 'download-a' : 'settings');
    const items = await firstValueFrom(liveFrom(t.store, 0, { streamId: 'download-a' }, 4).pipe(take(11), toArray()));
    expect(items.map((i) => (i.kind === 'event' ? i.event.position : `caught_up@${i.position}`))).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 'caught_up@30']);
  });
});
