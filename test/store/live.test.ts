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

  it('a subscriber joining mid-history while a writer appends sees every event once, in order', async () => {
    for (let i = 1; i <= 2500; i++) await appendOne(t, i);
    // A concurrent writer: one append per event-loop turn while the subscriber pages through history.
    let written = 2500;
    const writer = setInterval(() => {
      for (let k = 0; k < 5 && written < 3000; k++) void appendOne(t, ++written);
      if (written >= 3000) clearInterval(writer);
    }, 0);
    const positions = await firstValueFrom(
      liveFrom(t.store, 1000, {}, 97).pipe(
        filter((item) => item.kind === 'event'),
        take(2000),
        toArray(),
      ),
    );
    clearInterval(writer);
    expect(positions.map((p) => (p.kind === 'event' ? p.event.position : -1))).toEqual(Array.from({ length: 2000 }, (_, i) => 1001 + i));
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
