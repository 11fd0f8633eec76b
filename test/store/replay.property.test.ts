import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { backends, dumpViews, rawQuery } from '../support/temp-store.js';
import { history } from '../support/arbitraries.js';

describe.each(backends())('replay on $name', (backend) => {
  beforeEach((context) => {
    if (backend.skip) context.skip(backend.skip);
  });

  it('rebuilds views equal to the ones folded incrementally, for random histories', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (steps) => {
        const t = await backend.open();
        try {
          for (const [i, [job, event]] of steps.entries()) {
            const streamId = event.type === 'settings.changed' ? 'settings' : event.type.startsWith('download.') || event.type === 'routing.decided' ? `download-${job}` : `file-${job}`;
            const data = event.type === 'download.requested' ? { ...event.data, jobId: job } : event.data;
            (await t.store.append([{ streamId, events: [{ eventId: `e${i}`, type: event.type, data }], metadata: { actor: 'test' } }]))._unsafeUnwrap();
          }
          const incremental = await dumpViews(t);
          const result = await t.store.replay({ pageSize: 7 });
          expect(result.events).toBe(steps.length);
          expect(await dumpViews(t)).toEqual(incremental);
        } finally {
          await t.close();
        }
      }),
      { numRuns: backend.name === 'sqlite' ? 60 : 20 },
    );
  // 60 fresh SQLite stores: about 3 s alone, ten times that on a machine busy with other suites.
  }, 120_000);

  it('catches up a view whose checkpoint fell behind, at start', async () => {
    const t = await backend.open();
    try {
      (await t.store.append([{ streamId: 'download-j1', events: [
        { eventId: 'a', type: 'download.requested', data: { jobId: 'j1', input: 'x' } },
        { eventId: 'b', type: 'download.paused', data: { reason: 'user', message: null } },
      ], metadata: { actor: 'test' } }]))._unsafeUnwrap();
      const before = await dumpViews(t);
      await rawQuery(t.db, 'DELETE FROM view_jobs');
      await rawQuery(t.db, "UPDATE checkpoints SET version = 0 WHERE name = 'queue'");
      await t.store.catchUpProjections();
      expect(await dumpViews(t)).toEqual(before);
    } finally {
      await t.close();
    }
  });
});
