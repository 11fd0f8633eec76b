import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanner, type Scanner, type ScannerDeps } from '../../src/handlers/scan/scanner.js';
import { DEFAULT_IDS } from '../../src/simulator/index.js';
import { all } from '../../src/store/query.js';
import { homemadeLora, openLibraryFixture, type LibraryFixture } from './library-fixture.js';

const ids = DEFAULT_IDS;

describe('the startup scan on a folder the user filled before comfyui-dl', () => {
  let f: LibraryFixture;
  const scanner = (): Scanner => createScanner(deps(f));
  const catalog = () => all(f.t.db.sqlite, f.t.db.kysely.selectFrom('view_catalog').selectAll().orderBy('path'));
  const identity = (sha256: string) =>
    all(f.t.db.sqlite, f.t.db.kysely.selectFrom('view_identity').selectAll().where('sha256', '=', sha256))[0];
  const shaAt = (path: string) => catalog().find((r) => r.path === path)?.sha256 ?? '';

  beforeAll(async () => {
    f = await openLibraryFixture();
    // Renamed and in the wrong folders; one CivitAI never saw; one only a Civitai Helper sidecar names.
    f.put('loras/my-embedding.safetensors', f.sim.fileBytes(ids.embedding.fileId));
    f.put('checkpoints/old/ink.safetensors', f.sim.fileBytes(ids.twoVersionLora.olderFileId));
    f.put('loras/homemade.safetensors', homemadeLora());
    f.put('vae/vae-copy.safetensors', f.sim.fileBytes(ids.vae.fileId));
    f.put('vae/vae-copy.civitai.info', JSON.stringify({ id: ids.vae.versionId, modelId: ids.vae.modelId }));
    // Our own working folder is never scanned.
    f.put('.comfyui-dl/staging/job.safetensors', f.sim.fileBytes(ids.embedding.fileId));
  });
  afterAll(() => f.close());

  it('identifies every file CivitAI knows after one scan and writes their sidecars and previews', async () => {
    const summary = await scanner().scan();
    expect(summary).toMatchObject({ files: 4, hashed: 4, cached: 0, discovered: 4, moved: 0, missing: 0, identified: 3, unknown: 1 });
    expect(catalog().map((r) => r.path)).toEqual([
      'checkpoints/old/ink.safetensors', 'loras/homemade.safetensors', 'loras/my-embedding.safetensors', 'vae/vae-copy.safetensors',
    ]);
    expect(identity(shaAt('loras/my-embedding.safetensors'))).toMatchObject({ known: 1, model_id: ids.embedding.modelId, source: 'civitai' });
    expect(identity(shaAt('checkpoints/old/ink.safetensors'))).toMatchObject({ version_id: ids.twoVersionLora.olderVersionId });
    expect(identity(shaAt('vae/vae-copy.safetensors'))).toMatchObject({ version_id: ids.vae.versionId, source: 'sidecar' });
    expect(identity(shaAt('loras/homemade.safetensors'))).toMatchObject({ known: 0 });

    const sidecar = JSON.parse(readFileSync(join(f.modelsDir, 'loras/my-embedding.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ sha256: shaAt('loras/my-embedding.safetensors'), civitai: { id: ids.embedding.versionId } });
    expect(readdirSync(join(f.modelsDir, 'vae')).sort()).toEqual([
      'vae-copy.civitai.info', 'vae-copy.metadata.json', 'vae-copy.preview.png', 'vae-copy.safetensors',
    ]);
    expect(existsSync(join(f.modelsDir, 'loras/homemade.metadata.json'))).toBe(false);
    expect(f.events('file.hashed').map((e) => e.eventId)).toEqual(expect.arrayContaining([expect.stringMatching(/^hash:\d+:\d+:\d+:[\d.]+$/)]));
  });

  it('rehashes nothing after a restart and asks CivitAI nothing new', async () => {
    const restarted = scanner();
    const asked = f.sim.requests.length;
    const summary = await restarted.scan();
    expect(restarted.hashOperations).toBe(0);
    expect(summary).toMatchObject({ files: 4, hashed: 0, cached: 4, discovered: 0, identified: 0, unknown: 1 });
    expect(f.events('file.hashed')).toHaveLength(4);
    expect(f.sim.requests.slice(asked)).toEqual([]);
  });

  it('records a file moved between scans as a move, without hashing it again', async () => {
    const sha = shaAt('checkpoints/old/ink.safetensors');
    renameSync(join(f.modelsDir, 'checkpoints/old/ink.safetensors'), join(f.modelsDir, 'loras/ink.safetensors'));
    const s = scanner();
    const summary = await s.scan();
    expect(summary).toMatchObject({ moved: 1, discovered: 0, missing: 0 });
    expect(s.hashOperations).toBe(0);
    expect(f.events('file.moved').map((e) => e.data)).toEqual([{ from: 'checkpoints/old/ink.safetensors', to: 'loras/ink.safetensors', sha256: sha, folder: 'loras' }]);
    expect(catalog().find((r) => r.path === 'loras/ink.safetensors')).toMatchObject({ folder: 'loras' });
    expect(catalog().find((r) => r.path === 'loras/ink.safetensors')).toMatchObject({ sha256: sha, missing: 0 });
  });

  it('moves the sidecar and preview a moved file left behind, and points the sidecar at the new place', async () => {
    expect(readdirSync(join(f.modelsDir, 'checkpoints/old'))).toEqual([]);
    expect(readdirSync(join(f.modelsDir, 'loras')).filter((n) => n.startsWith('ink.')).sort()).toEqual(['ink.metadata.json', 'ink.preview.jpeg', 'ink.safetensors']);
    const sidecar = JSON.parse(readFileSync(join(f.modelsDir, 'loras/ink.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ file_path: join(f.modelsDir, 'loras/ink.safetensors'), file_name: 'ink', preview_url: join(f.modelsDir, 'loras/ink.preview.jpeg') });
    expect(f.events('sidecar.moved').map((e) => e.data)).toEqual([{
      path: 'loras/ink.safetensors',
      moved: [
        { from: 'checkpoints/old/ink.metadata.json', to: 'loras/ink.metadata.json' },
        { from: 'checkpoints/old/ink.preview.jpeg', to: 'loras/ink.preview.jpeg' },
      ],
    }]);
  });

  it('re-links the sidecar a user moved together with the file', async () => {
    mkdirSync(join(f.modelsDir, 'vae/sub'));
    for (const name of ['vae-copy.safetensors', 'vae-copy.metadata.json', 'vae-copy.preview.png', 'vae-copy.civitai.info']) {
      renameSync(join(f.modelsDir, 'vae', name), join(f.modelsDir, 'vae/sub', name));
    }
    expect(await scanner().scan()).toMatchObject({ moved: 1 });
    const sidecar = JSON.parse(readFileSync(join(f.modelsDir, 'vae/sub/vae-copy.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ file_path: join(f.modelsDir, 'vae/sub/vae-copy.safetensors'), preview_url: join(f.modelsDir, 'vae/sub/vae-copy.preview.png') });
    expect(f.events('sidecar.moved')).toHaveLength(1);
    expect(catalog().find((r) => r.path === 'vae/sub/vae-copy.safetensors')).toMatchObject({ folder: 'vae', missing: 0 });
  });

  it('marks a deleted file missing, keeps its row, and sees it return', async () => {
    const sha = shaAt('loras/my-embedding.safetensors');
    unlinkSync(join(f.modelsDir, 'loras/my-embedding.safetensors'));
    expect(await scanner().scan()).toMatchObject({ files: 3, missing: 1 });
    expect(catalog().find((r) => r.path === 'loras/my-embedding.safetensors')).toMatchObject({ sha256: sha, missing: 1 });
    expect(identity(sha)).toMatchObject({ known: 1, model_id: ids.embedding.modelId });

    expect(await scanner().scan()).toMatchObject({ missing: 0 });
    expect(f.events('file.missing')).toHaveLength(1);

    f.put('loras/my-embedding.safetensors', f.sim.fileBytes(ids.embedding.fileId));
    await scanner().scan();
    expect(f.events('file.returned').map((e) => e.data)).toEqual([{ path: 'loras/my-embedding.safetensors', sha256: sha }]);
    expect(catalog().find((r) => r.path === 'loras/my-embedding.safetensors')).toMatchObject({ missing: 0 });
  });

  it('marks the files of a models folder that vanished (an unmounted drive) missing, and brings them back', async () => {
    const unmounted = `${f.modelsDir}-unmounted`;
    const present = catalog().filter((r) => r.missing === 0).map((r) => r.path);
    renameSync(f.modelsDir, unmounted);
    try {
      expect(await scanner().scan()).toMatchObject({ files: 0, missing: present.length });
      expect(catalog().filter((r) => present.includes(r.path)).every((r) => r.missing === 1 && r.sha256 !== '')).toBe(true);
      expect(f.logs.some((l) => /do not exist/.test(l))).toBe(true);
    } finally {
      renameSync(unmounted, f.modelsDir);
    }
    await scanner().scan();
    expect(catalog().filter((r) => present.includes(r.path)).map((r) => r.missing)).toEqual(present.map(() => 0));
  });

  it('marks files behind a dangling symlink missing (a drive linked into the tree was unplugged), and sees them return', async () => {
    const drive = mkdtempSync(join(tmpdir(), 'comfyui-dl-usb-'));
    const unplugged = `${drive}-unplugged`;
    try {
      writeFileSync(join(drive, 'far.safetensors'), homemadeLora(9));
      writeFileSync(join(drive, 'single.safetensors'), homemadeLora(10));
      const anHourAgo = new Date(Date.now() - 3_600_000);
      for (const name of ['far.safetensors', 'single.safetensors']) utimesSync(join(drive, name), anHourAgo, anHourAgo);
      symlinkSync(drive, join(f.modelsDir, 'loras', 'usb'));
      symlinkSync(join(drive, 'single.safetensors'), join(f.modelsDir, 'loras', 'single-link.safetensors'));
      expect(await scanner().scan()).toMatchObject({ discovered: 2, missing: 0 });
      renameSync(drive, unplugged);
      expect(await scanner().scan()).toMatchObject({ missing: 2 });
      expect(catalog().filter((r) => r.missing === 1).map((r) => r.path)).toEqual(['loras/single-link.safetensors', 'loras/usb/far.safetensors']);
      renameSync(unplugged, drive);
      await scanner().scan();
      expect(f.events('file.returned').map((e) => (e.data as { path: string }).path)).toEqual(expect.arrayContaining(['loras/single-link.safetensors', 'loras/usb/far.safetensors']));
      expect(catalog().filter((r) => r.missing === 1)).toEqual([]);
    } finally {
      if (existsSync(unplugged)) renameSync(unplugged, drive);
      rmSync(join(f.modelsDir, 'loras', 'usb'), { force: true });
      rmSync(join(f.modelsDir, 'loras', 'single-link.safetensors'), { force: true });
      rmSync(drive, { recursive: true, force: true });
    }
  });

  it('scans the folders of extra_model_paths.yaml under their own folder key, and marks them missing while their drive is gone', async () => {
    const extra = mkdtempSync(join(tmpdir(), 'comfyui-dl-extra-'));
    const roots = async () => [{ path: join(extra, 'models', 'Lora'), folder: 'loras' }];
    try {
      mkdirSync(join(extra, 'models', 'Lora'), { recursive: true });
      writeFileSync(join(extra, 'models', 'Lora', 'far.safetensors'), homemadeLora(5));
      const anHourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(join(extra, 'models', 'Lora', 'far.safetensors'), anHourAgo, anHourAgo);
      expect(await createScanner({ ...deps(f), extraRoots: roots }).scan()).toMatchObject({ discovered: 1 });
      const path = join(extra, 'models', 'Lora', 'far.safetensors');
      expect(catalog().find((r) => r.path === path)).toMatchObject({ folder: 'loras', origin: 'scan' });
      expect(f.events('scan.started').at(-1)?.data).toEqual({ roots: [join(extra, 'models', 'Lora'), f.modelsDir] });
      const unplugged = `${extra}-unplugged`;
      renameSync(extra, unplugged);
      await createScanner({ ...deps(f), extraRoots: roots }).scan();
      expect(catalog().find((r) => r.path === path)).toMatchObject({ missing: 1, folder: 'loras' });
      renameSync(unplugged, extra);
      await createScanner({ ...deps(f), extraRoots: roots }).scan();
      expect(catalog().find((r) => r.path === path)).toMatchObject({ missing: 0 });
      // A yaml that no longer names the folder: its files are neither scanned nor called missing.
      await scanner().scan();
      expect(catalog().find((r) => r.path === path)).toMatchObject({ missing: 0 });
    } finally {
      rmSync(extra, { recursive: true, force: true });
    }
  });

  it('runs one scan at a time: a second call while one runs shares its result', async () => {
    const s = scanner();
    const first = s.scan();
    expect(s.running).toBe(true);
    expect(s.scan()).toBe(first);
    await first;
    expect(s.running).toBe(false);
    expect(s.progress()).toBeNull();
  });
});

describe('sidecars of identified files', () => {
  let f: LibraryFixture;
  const sidecarOf = (path: string) => JSON.parse(readFileSync(join(f.modelsDir, path), 'utf8')) as Record<string, unknown>;
  beforeAll(async () => {
    f = await openLibraryFixture();
    // A LoRA a user curated in Lora-Manager: edited base model, notes, tags, a video preview and its own CivitAI block.
    f.put('loras/ink.safetensors', f.sim.fileBytes(ids.sdxlLora.fileId));
    f.put('loras/ink.mp4', 'not really a video');
    f.put('loras/ink.metadata.json', JSON.stringify({
      file_name: 'ink', model_name: 'Ink (mine)', base_model: 'Illustrious', notes: 'use at 0.6', tags: ['mine'], favorite: true,
      preview_url: join(f.modelsDir, 'loras/ink.mp4'), preview_nsfw_level: 1, modelDescription: 'my words',
      civitai: { id: ids.sdxlLora.versionId, modelId: ids.sdxlLora.modelId, creator: { username: 'someone' }, model: { name: 'Ink', allowNoCredit: false } },
    }));
    // A plain file with nothing beside it but an animated preview another tool saved.
    f.put('embeddings/neg.safetensors', f.sim.fileBytes(ids.embedding.fileId));
    f.put('embeddings/neg.preview.gif', 'GIF89a');
    // And one with nothing at all.
    f.put('vae/plain.safetensors', f.sim.fileBytes(ids.vae.fileId));
    await createScanner(deps(f)).scan();
  });
  afterAll(() => f.close());

  it('keeps what the user and Lora-Manager wrote, and adds only what was missing', () => {
    const sidecar = sidecarOf('loras/ink.metadata.json');
    expect(sidecar).toMatchObject({
      model_name: 'Ink (mine)', base_model: 'Illustrious', notes: 'use at 0.6', tags: ['mine'], favorite: true,
      preview_url: join(f.modelsDir, 'loras/ink.mp4'), modelDescription: 'my words',
    });
    const civitai = sidecar.civitai as { creator: unknown; model: Record<string, unknown>; files: unknown[] };
    expect(civitai.creator).toMatchObject({ username: 'someone' });
    expect(civitai.model).toMatchObject({ name: 'Ink', allowNoCredit: false, allowDerivatives: true, type: 'LORA' });
    expect(civitai.files).toHaveLength(1);
    expect(existsSync(join(f.modelsDir, 'loras/ink.preview.png'))).toBe(false);
  });

  it('counts a .gif (or .mp4, .webm…) as a preview already there, and links it', () => {
    expect(readdirSync(join(f.modelsDir, 'embeddings')).sort()).toEqual(['neg.metadata.json', 'neg.preview.gif', 'neg.safetensors']);
    expect(sidecarOf('embeddings/neg.metadata.json').preview_url).toBe(join(f.modelsDir, 'embeddings/neg.preview.gif'));
  });

  it('gives a file without a sidecar the model-level data: tags, description, creator, license, trigger words', () => {
    const sidecar = sidecarOf('vae/plain.metadata.json');
    expect(sidecar.tags).toEqual(['vae']);
    expect(sidecar.modelDescription).toMatch(/<p>.+<\/p>/);
    const civitai = sidecar.civitai as { creator: Record<string, unknown>; model: Record<string, unknown>; trainedWords: unknown };
    expect(civitai.creator).toMatchObject({ username: 'sim_studio' });
    expect(civitai.model).toMatchObject({ type: 'VAE', tags: ['vae'], allowNoCredit: true, allowCommercialUse: ['Image', 'RentCivit', 'Rent', 'Sell'], allowDerivatives: true, allowDifferentLicense: true });
    expect(civitai.model.description).toBe(sidecar.modelDescription);
    expect(civitai.trainedWords).toEqual(expect.any(Array));
    expect(existsSync(join(f.modelsDir, 'vae/plain.preview.png'))).toBe(true);
  });

  it('asks CivitAI for all the models at once', () => {
    const asked = f.sim.requests.filter((r) => r.url.startsWith('/api/v1/models')).map((r) => new URL(r.url, 'http://x').searchParams.get('ids'));
    expect(asked).toHaveLength(1);
    expect(asked[0]?.split(',').map(Number).sort()).toEqual([ids.sdxlLora.modelId, ids.vae.modelId, ids.embedding.modelId].sort());
  });
});

describe('files written just before the scan', () => {
  let f: LibraryFixture;
  beforeAll(async () => {
    f = await openLibraryFixture();
  });
  afterAll(() => f.close());

  it('are recorded so that a restart trusts their hashes', async () => {
    const path = f.put('loras/fresh.safetensors', homemadeLora(3));
    const now = new Date();
    utimesSync(path, now, now);
    const first = createScanner(deps(f));
    expect(await first.scan()).toMatchObject({ files: 1, hashed: 1 });
    const restarted = createScanner(deps(f));
    expect(await restarted.scan()).toMatchObject({ files: 1, hashed: 0, cached: 1 });
    expect(restarted.hashOperations).toBe(0);
  });
});

describe('identification when the bulk hash endpoint fails', () => {
  let f: LibraryFixture;
  beforeAll(async () => {
    f = await openLibraryFixture();
  });
  afterAll(() => f.close());

  it('falls back to one lookup per hash', async () => {
    f.put('embeddings/a.safetensors', f.sim.fileBytes(ids.embedding.fileId));
    f.put('loras/unknown.safetensors', homemadeLora(9));
    f.sim.addFault({ kind: 'status', status: 500, target: 'api' });
    const summary = await createScanner(deps(f)).scan();
    expect(summary).toMatchObject({ files: 2, identified: 1, unknown: 1 });
    const calls = f.sim.requests.map((r) => `${r.method} ${r.url.replace(/[0-9A-F]{64}/, 'SHA')}`);
    expect(calls).toEqual([
      'POST /api/v1/model-versions/by-hash', 'GET /api/v1/model-versions/by-hash/SHA', 'GET /api/v1/model-versions/by-hash/SHA',
      `GET /api/v1/models?ids=${ids.embedding.modelId}&limit=100&nsfw=true`, expect.stringMatching(/^GET \/images?\//),
    ]);
    expect(f.logs.some((l) => /bulk hash lookup failed/.test(l))).toBe(true);
    expect(f.events('file.identified').map((e) => (e.data as { versionId: number }).versionId)).toEqual([ids.embedding.versionId]);
  });
});

describe('identification while CivitAI is down', () => {
  let f: LibraryFixture;
  beforeAll(async () => {
    f = await openLibraryFixture();
  });
  afterAll(() => f.close());

  it('stops asking, records no answer, and asks again next scan', async () => {
    f.put('embeddings/a.safetensors', f.sim.fileBytes(ids.embedding.fileId));
    f.put('embeddings/b.safetensors', homemadeLora(4));
    f.sim.addFault({ kind: 'status', status: 503, target: 'api', times: Infinity });
    expect(await createScanner(deps(f)).scan()).toMatchObject({ files: 2, identified: 0, unknown: 0 });
    // The bulk call and one single lookup: then it gives up for this scan.
    expect(f.sim.requests).toHaveLength(2);
    expect(f.events('file.unidentified')).toEqual([]);
    f.sim.clearFaults();
    expect(await createScanner(deps(f)).scan()).toMatchObject({ identified: 1, unknown: 1 });
  });
});

function deps(f: LibraryFixture): ScannerDeps {
  return {
    store: f.t.store, db: f.t.db, client: f.client, log: f.log, modelsDir: f.modelsDir, ownDirs: [], previewMaxNsfwLevel: 1,
  };
}
