import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanner } from '../../src/handlers/scan/scanner.js';
import { startUpdatePoller, type UpdatePollerDeps } from '../../src/handlers/updates/poller.js';
import { DEFAULT_IDS } from '../../src/simulator/index.js';
import { all } from '../../src/store/query.js';
import { openLibraryFixture, type LibraryFixture } from './library-fixture.js';

const ids = DEFAULT_IDS;
const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

describe('the update poller against CivitAI', () => {
  let f: LibraryFixture;
  const poller = (extra: Partial<UpdatePollerDeps> = {}) =>
    startUpdatePoller({ store: f.t.store, db: f.t.db, client: f.client, log: f.log, intervalSeconds: 0, ...extra });
  const shaOf = (fileId: number) => f.sim.world.file(fileId)!.servedSha256.toLowerCase();
  const discovered = () => f.events('model.version_discovered').map((e) => e.data as { modelId: number; versionId: number; installedVersionId: number });

  beforeAll(async () => {
    f = await openLibraryFixture();
    f.put('embeddings/easy.safetensors', f.sim.fileBytes(ids.embedding.fileId));
    f.put('vae/vae.safetensors', f.sim.fileBytes(ids.vae.fileId));
    f.put('loras/ink.safetensors', f.sim.fileBytes(ids.sdxlLora.fileId));
    // Both versions of this model are on disk: its newest is installed.
    f.put('loras/two-old.safetensors', f.sim.fileBytes(ids.twoVersionLora.olderFileId));
    f.put('loras/two-new.safetensors', f.sim.fileBytes(ids.twoVersionLora.newerFileId));
    await createScanner({ store: f.t.store, db: f.t.db, client: f.client, log: f.log, modelsDir: f.modelsDir, ownDirs: [], previewMaxNsfwLevel: 0 }).scan();
  });
  afterAll(() => f.close());

  it('reports a newly published version once, however often it checks', async () => {
    f.sim.world.publishVersion(ids.embedding.modelId, {
      id: 2905, name: 'v2', baseModel: 'SD 1.5', files: [{ id: 3905, name: 'easy-v2.safetensors', content: { format: 'bytes', size: 64 } }],
    });
    const p = poller();
    expect(await p.checkNow()).toEqual({ models: 4, discovered: 1 });
    expect(await p.checkNow()).toEqual({ models: 4, discovered: 0 });
    expect(discovered()).toEqual([expect.objectContaining({ modelId: ids.embedding.modelId, versionId: 2905, installedVersionId: ids.embedding.versionId })]);
    expect(f.events('updates.checked').map((e) => e.data)).toEqual([
      { models: 4, discovered: 1, failed: null }, { models: 4, discovered: 0, failed: null },
    ]);
    const view = all(f.t.db.sqlite, f.t.db.kysely.selectFrom('view_updates').selectAll());
    expect(view).toEqual([expect.objectContaining({ model_id: ids.embedding.modelId, latest_version_id: 2905, latest_version_name: 'v2' })]);
  });

  it('does not report an early-access version unless asked to', async () => {
    f.sim.world.publishVersion(ids.vae.modelId, {
      id: 2906, name: 'v2 early', baseModel: 'SD 1.5', earlyAccessEndsAt: inAWeek(),
      files: [{ id: 3906, name: 'vae-v2.safetensors', content: { format: 'bytes', size: 64 } }],
    });
    expect((await poller().checkNow()).discovered).toBe(0);
    expect(discovered().map((d) => d.versionId)).not.toContain(2906);
    expect((await poller({ includeEarlyAccess: true }).checkNow()).discovered).toBe(1);
    expect(discovered().map((d) => d.versionId)).toContain(2906);
  });

  it('does not report a version whose file is already on disk', async () => {
    // The creator published the same bytes again as a new version.
    f.sim.world.publishVersion(ids.sdxlLora.modelId, {
      id: 2907, name: 'v1 again', baseModel: 'SDXL 1.0',
      files: [{ id: 3907, name: 'ink-again.safetensors', content: { format: 'bytes', size: 64 }, hashes: { SHA256: shaOf(ids.sdxlLora.fileId).toUpperCase() } }],
    });
    expect((await poller().checkNow()).discovered).toBe(0);
    expect(discovered().map((d) => d.modelId)).not.toContain(ids.sdxlLora.modelId);
    expect(discovered().map((d) => d.modelId)).not.toContain(ids.twoVersionLora.modelId);
  });

  it('notices that CivitAI replaced the file of an installed version, once', async () => {
    const installed = shaOf(ids.embedding.fileId);
    const replaced = f.sim.world.replaceFile(ids.embedding.versionId);
    await poller().checkNow();
    await poller().checkNow();
    expect(f.events('model.file_replaced').map((e) => e.data)).toEqual([{
      modelId: ids.embedding.modelId, versionId: ids.embedding.versionId, fileId: ids.embedding.fileId,
      installedSha256: installed, remoteSha256: replaced.servedSha256.toLowerCase(),
    }]);
  });

  it('records a failed check and succeeds on the next one', async () => {
    f.sim.addFault({ kind: 'status', status: 500, target: 'api' });
    expect(await poller().checkNow()).toEqual({ models: 4, discovered: 0 });
    expect(f.events('updates.checked').at(-1)?.data).toMatchObject({ failed: expect.stringMatching(/500|server/i) });
    expect(f.logs.some((l) => /^update check:/.test(l))).toBe(true);
    await poller().checkNow();
    expect(f.events('updates.checked').at(-1)?.data).toMatchObject({ failed: null });
  });

  it('polls on its own after a short delay, with jitter, until stopped', async () => {
    const before = f.events('updates.checked').length;
    const p = poller({ intervalSeconds: 0.05, random: () => 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    p.stop();
    const polled = f.events('updates.checked').length - before;
    expect(polled).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(f.events('updates.checked').length - before).toBeLessThanOrEqual(polled + 1);
  });
});
