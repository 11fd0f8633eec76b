import { describe, expect, it } from 'vitest';
import { libraryState, versionPresenceOf, viewQueries } from '../../src/views/queries.js';
import type { NewEvent } from '../../src/events/envelope.js';
import { versionPresence, type PresenceViews } from '../../src/projections/version-presence.js';
import { openTempStore } from '../support/temp-store.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
type Row = PresenceViews['catalog'][number];
const row = (path: string, sha256: string, over: Partial<Row> = {}): Row => ({ path, sha256, version_id: null, missing: 0, found_sha256: null, ...over });
const known = (sha256: string, versionId: number) => ({ sha256, version_id: versionId, known: 1 });

describe('versionPresence', () => {
  it('finds a downloaded version by its catalog row, and a scanned one by the identity of its bytes', () => {
    expect(versionPresence({ catalog: [row('loras/a.safetensors', A, { version_id: 7 })], identities: [] }, 7)).toEqual({ status: 'present', path: 'loras/a.safetensors', sha256: A });
    expect(versionPresence({ catalog: [row('/nas/Lora/b.safetensors', B)], identities: [known(B, 8)] }, 8)).toEqual({ status: 'present', path: '/nas/Lora/b.safetensors', sha256: B });
  });

  it('says absent for a version never seen, and ignores what CivitAI did not know', () => {
    expect(versionPresence({ catalog: [row('loras/a.safetensors', A)], identities: [{ sha256: A, version_id: null, known: 0 }] }, 7)).toEqual({ status: 'absent' });
  });

  it('calls a version missing when its only file is gone, with the path it had', () => {
    const views = { catalog: [row('loras/a.safetensors', A, { version_id: 7, missing: 1 })], identities: [known(A, 7)] };
    expect(versionPresence(views, 7)).toEqual({ status: 'missing', path: 'loras/a.safetensors', sha256: A });
  });

  it('calls it changed when verification found other bytes, with what was expected and found', () => {
    const views = { catalog: [row('vae/v.safetensors', A, { version_id: 7, found_sha256: C })], identities: [known(A, 7)] };
    expect(versionPresence(views, 7)).toEqual({ status: 'changed', path: 'vae/v.safetensors', expected: A, actual: C });
  });

  it('calls a download changed when a scan catalogued other bytes where it was placed', () => {
    const views: PresenceViews = {
      catalog: [row('vae/v.safetensors', C)],
      identities: [known(A, 7)],
      placements: [{ versionId: 7, path: 'vae/v.safetensors', sha256: A }],
    };
    expect(versionPresence(views, 7)).toEqual({ status: 'changed', path: 'vae/v.safetensors', expected: A, actual: C });
  });

  it('prefers an intact copy anywhere over a missing or changed one', () => {
    const views = {
      catalog: [row('a/gone.safetensors', A, { missing: 1 }), row('b/bad.safetensors', A, { found_sha256: C }), row('c/moved.safetensors', A)],
      identities: [known(A, 7)],
    };
    expect(versionPresence(views, 7)).toMatchObject({ status: 'present', path: 'c/moved.safetensors' });
    expect(versionPresence({ ...views, catalog: views.catalog.slice(0, 2) }, 7)).toMatchObject({ status: 'changed', path: 'b/bad.safetensors' });
  });

  it('follows a moved download by its row, not by the path it was placed at', () => {
    const views: PresenceViews = {
      catalog: [row('loras/new-place.safetensors', A, { version_id: 7 }), row('loras/old.safetensors', B)],
      identities: [known(A, 7)],
      placements: [{ versionId: 7, path: 'loras/old.safetensors', sha256: A }],
    };
    expect(versionPresence(views, 7)).toEqual({ status: 'present', path: 'loras/new-place.safetensors', sha256: A });
  });

  it('calls a download missing when nothing is catalogued where it was placed', () => {
    expect(versionPresence({ catalog: [], identities: [], placements: [{ versionId: 7, path: 'loras/a.safetensors', sha256: A }] }, 7))
      .toEqual({ status: 'missing', path: 'loras/a.safetensors', sha256: A });
  });
});

describe('versionPresenceOf, over the real views', () => {
  it('tracks a scan-identified version through verification, loss and return', async () => {
    const t = await openTempStore();
    try {
      const views = viewQueries(t.db, 'here');
      const append = async (type: string, data: Record<string, unknown>) =>
        (await t.store.append([{ streamId: `file-${A}`, metadata: { actor: 'scan' }, events: [{ eventId: `${type}:${JSON.stringify(data)}`, type, data } as NewEvent] }]))._unsafeUnwrap();
      expect(await versionPresenceOf(views, 7)).toEqual({ status: 'absent' });
      await append('file.discovered', { path: 'loras/a.safetensors', folder: 'loras', sha256: A, sizeBytes: 10 });
      await append('file.identified', {
        sha256: A, modelId: 3, versionId: 7, modelName: 'm', versionName: 'v', modelType: 'LORA', baseModel: null, source: 'civitai', civitai: {},
      });
      expect(await versionPresenceOf(views, 7)).toEqual({ status: 'present', path: 'loras/a.safetensors', sha256: A });
      await append('file.verified', { path: 'loras/a.safetensors', status: 'changed', expected: A, actual: C });
      expect(await versionPresenceOf(views, 7)).toEqual({ status: 'changed', path: 'loras/a.safetensors', expected: A, actual: C });
      expect((await libraryState(views)).entries[0]).toMatchObject({ changed: true, missing: false });
      await append('file.missing', { path: 'loras/a.safetensors', sha256: A });
      expect(await versionPresenceOf(views, 7)).toEqual({ status: 'missing', path: 'loras/a.safetensors', sha256: A });
      await append('file.returned', { path: 'loras/a.safetensors', sha256: A });
      expect(await versionPresenceOf(views, 7)).toEqual({ status: 'present', path: 'loras/a.safetensors', sha256: A });
      await append('file.verified', { path: 'loras/a.safetensors', status: 'missing', expected: A, actual: null });
      expect(await versionPresenceOf(views, 7)).toEqual({ status: 'missing', path: 'loras/a.safetensors', sha256: A });
    } finally {
      await t.close();
    }
  });
});
