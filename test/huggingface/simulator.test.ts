import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { HUB_FILES, HUB_IDS, lfsPointer, startHubSimulator, type HubSimulator } from '../../src/simulator/huggingface/index.js';
import { fetchRaw, header } from '../simulator/support.js';
import { GRANTED_TOKEN, sha256, TOKENS, UNGRANTED_TOKEN } from './hub-support.js';

let sim: HubSimulator;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (answer: { body: Buffer }): unknown => JSON.parse(answer.body.toString('utf8'));
const gitBlob = (bytes: Buffer): string => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

beforeAll(async () => {
  sim = await startHubSimulator({ tokens: TOKENS, treePageSize: 2 });
});
afterAll(async () => {
  await sim?.close();
});

describe('model info', () => {
  it('answers /api/models/<repo> with the head commit, siblings and the gated flag', async () => {
    const answer = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}`);
    expect(answer.status).toBe(200);
    const info = json(answer) as Record<string, unknown>;
    expect(info).toMatchObject({ id: HUB_IDS.flux, modelId: HUB_IDS.flux, author: 'sim-labs', private: false, gated: false, pipeline_tag: 'text-to-image' });
    expect(info.sha).toBe(sim.world.mustRepo(HUB_IDS.flux).head().id);
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info._id).toMatch(/^[0-9a-f]{24}$/);
    expect(info.siblings).toEqual(expect.arrayContaining([{ rfilename: HUB_FILES.fluxModel }, { rfilename: HUB_FILES.readme }]));
    expect(header(answer, 'x-request-id')).toMatch(/^Root=1-/);
  });

  it('with blobs=true gives each sibling its size, git blob id and LFS SHA-256', async () => {
    const info = json(await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}?blobs=true`)) as { siblings: Record<string, unknown>[] };
    const model = info.siblings.find((s) => s.rfilename === HUB_FILES.fluxModel);
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel);
    expect(model).toEqual({
      rfilename: HUB_FILES.fluxModel,
      blobId: gitBlob(Buffer.from(lfsPointer(sha256(bytes), bytes.length))),
      size: bytes.length,
      lfs: { sha256: sha256(bytes), size: bytes.length, pointerSize: lfsPointer(sha256(bytes), bytes.length).length },
    });
    const readme = info.siblings.find((s) => s.rfilename === HUB_FILES.readme);
    expect(readme).toEqual({ rfilename: HUB_FILES.readme, blobId: gitBlob(sim.fileBytes(HUB_IDS.flux, HUB_FILES.readme)), size: sim.fileBytes(HUB_IDS.flux, HUB_FILES.readme).length });
  });

  it('with expand answers only the asked keys, and 400 for an unknown one', async () => {
    const info = json(await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.gated}/revision/main?expand=gated&expand=sha`));
    expect(Object.keys(info as object).sort()).toEqual(['_id', 'gated', 'id', 'sha']);
    expect(info).toMatchObject({ gated: 'manual' });
    expect((await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}?expand=nonsense`)).status).toBe(400);
  });

  it('gated repos show their metadata to anyone; private ones answer 401 RepoNotFound anonymously, 404 to other users', async () => {
    expect((await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.gated}`)).status).toBe(200);
    const anonymous = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.private}`);
    expect(anonymous.status).toBe(401);
    expect(header(anonymous, 'x-error-code')).toBe('RepoNotFound');
    expect(json(anonymous)).toEqual({ error: header(anonymous, 'x-error-message') });
    const other = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.private}`, { headers: bearer(UNGRANTED_TOKEN) });
    expect(other.status).toBe(404);
    expect(header(other, 'x-error-code')).toBe('RepoNotFound');
    expect((await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.private}`, { headers: bearer(GRANTED_TOKEN) })).status).toBe(200);
    const missing = await fetchRaw(`${sim.hubUrl}/api/models/nobody/nothing`);
    expect([missing.status, header(missing, 'x-error-code')]).toEqual([401, 'RepoNotFound']);
  });

  it('refuses a token it does not know with the hub\'s message, and an unknown revision with RevisionNotFound', async () => {
    const bad = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}`, { headers: bearer('hf_notatoken') });
    expect(bad.status).toBe(401);
    expect(header(bad, 'x-error-message')).toBe('Invalid credentials in Authorization header');
    const revision = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}/revision/nope`);
    expect([revision.status, header(revision, 'x-error-code')]).toEqual([404, 'RevisionNotFound']);
  });
});

describe('the hub\'s own JavaScript client', () => {
  it('reads the simulator as it reads the hub: tree pages through Link, paths-info, model info with a token', async () => {
    const files: string[] = [];
    for await (const entry of listFiles({ repo: { type: 'model', name: HUB_IDS.encoders }, recursive: true, hubUrl: sim.hubUrl })) files.push(`${entry.type} ${entry.path}`);
    expect(files).toEqual(['directory text_encoders', 'file README.md', `file ${HUB_FILES.clipL}`, `file ${HUB_FILES.t5}`]);
    const [info] = await pathsInfo({ repo: { type: 'model', name: HUB_IDS.flux }, paths: [HUB_FILES.fluxModel], expand: true, hubUrl: sim.hubUrl });
    expect(info?.lfs?.oid).toBe(sha256(sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel)));
    expect(info?.lastCommit?.date).toBeInstanceOf(Date);
    const model = await modelInfo({ name: HUB_IDS.private, hubUrl: sim.hubUrl, accessToken: GRANTED_TOKEN, additionalFields: ['sha'] });
    expect(model).toMatchObject({ name: HUB_IDS.private, private: true, gated: false, sha: sim.world.mustRepo(HUB_IDS.private).head().id });
    await expect(modelInfo({ name: HUB_IDS.private, hubUrl: sim.hubUrl })).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe('paths-info and tree', () => {
  it('paths-info (JSON, as huggingface.js posts) gives lfs.oid = the SHA-256 of the served bytes, and lastCommit with expand', async () => {
    const answer = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}/paths-info/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: [HUB_FILES.fluxModel, HUB_FILES.config, 'missing.bin'], expand: true }),
    });
    expect(answer.status).toBe(200);
    const [model, config, ...rest] = json(answer) as Record<string, unknown>[];
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel);
    const head = sim.world.mustRepo(HUB_IDS.flux).head();
    expect(model).toMatchObject({ type: 'file', path: HUB_FILES.fluxModel, size: bytes.length, lfs: { oid: sha256(bytes), size: bytes.length } });
    expect(model?.lastCommit).toEqual({ id: head.id, title: head.title, date: head.date });
    expect(config).toMatchObject({ type: 'file', oid: gitBlob(sim.fileBytes(HUB_IDS.flux, HUB_FILES.config)) });
    expect(config).not.toHaveProperty('lfs');
    expect(rest).toEqual([]);
  });

  it('paths-info also takes huggingface_hub\'s form body, and names folders', async () => {
    const answer = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.encoders}/paths-info/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['paths', 'text_encoders'], ['paths', HUB_FILES.clipL], ['expand', 'False']]).toString(),
    });
    const entries = json(answer) as Record<string, unknown>[];
    expect(entries.map((e) => [e.type, e.path])).toEqual([['directory', 'text_encoders'], ['file', HUB_FILES.clipL]]);
    expect(entries[1]).toHaveProperty('xetHash');
    expect(entries[1]).not.toHaveProperty('lastCommit');
  });

  it('tree lists a folder, recursively on request, in pages linked by the Link header', async () => {
    const root = json(await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.encoders}/tree/main`)) as { path: string; type: string }[];
    expect(root.map((e) => e.path)).toEqual(['text_encoders', 'README.md']);
    const pages: string[][] = [];
    let url: string | undefined = `${sim.hubUrl}/api/models/${HUB_IDS.encoders}/tree/main?recursive=true`;
    while (url) {
      const answer = await fetchRaw(url);
      pages.push((json(answer) as { path: string }[]).map((e) => e.path));
      url = /<([^>]+)>;\s*rel="next"/.exec(header(answer, 'link') ?? '')?.[1];
    }
    expect(pages).toEqual([['text_encoders', 'README.md'], [HUB_FILES.clipL, HUB_FILES.t5]]);
    const inFolder = json(await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.encoders}/tree/main/text_encoders`)) as { path: string }[];
    expect(inFolder.map((e) => e.path)).toEqual([HUB_FILES.clipL, HUB_FILES.t5]);
    expect((await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.encoders}/tree/main/nowhere`)).status).toBe(404);
  });
});

describe('resolve', () => {
  const resolveUrl = (repo: string, path: string, revision = 'main') =>
    `${sim.hubUrl}/${repo}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;

  it('HEAD of an LFS file: 302 to the storage host with X-Linked-Etag, X-Linked-Size and X-Repo-Commit', async () => {
    const answer = await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.fluxModel), { method: 'HEAD' });
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel);
    expect(answer.status).toBe(302);
    expect(header(answer, 'x-linked-etag')).toBe(`"${sha256(bytes)}"`);
    expect(header(answer, 'x-linked-size')).toBe(String(bytes.length));
    expect(header(answer, 'x-repo-commit')).toBe(sim.world.mustRepo(HUB_IDS.flux).head().id);
    expect(header(answer, 'etag')).toMatch(/^"[0-9a-f]{40}"$/);
    const location = new URL(header(answer, 'location') ?? '');
    expect(location.origin).toBe(sim.storageUrl);
    expect(location.searchParams.get('response-content-disposition')).toBe(`inline; filename*=UTF-8''${HUB_FILES.fluxModel}; filename="${HUB_FILES.fluxModel}";`);
    expect(header(answer, 'access-control-expose-headers')).toContain('X-Linked-Size');
  });

  it('the storage host serves the bytes, with Range (206) and 416, and refuses an Authorization header', async () => {
    const location = header(await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.fluxVae), { method: 'HEAD' }), 'location') ?? '';
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae);
    const full = await fetchRaw(location);
    expect(full.status).toBe(200);
    expect(sha256(full.body)).toBe(sha256(bytes));
    const part = await fetchRaw(location, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(header(part, 'content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(part.body.equals(bytes.subarray(100, 200))).toBe(true);
    expect((await fetchRaw(location, { headers: { range: `bytes=${bytes.length}-` } })).status).toBe(416);
    expect((await fetchRaw(location, { headers: bearer(GRANTED_TOKEN) })).status).toBe(400);
  });

  it('a small non-LFS file is served by the hub itself with its git blob id as ETag, and Range', async () => {
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.config);
    const head = await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.config), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(header(head, 'etag')).toBe(`"${gitBlob(bytes)}"`);
    expect(header(head, 'content-length')).toBe(String(bytes.length));
    expect(header(head, 'x-linked-etag')).toBeUndefined();
    const get = await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.config));
    expect(get.body.equals(bytes)).toBe(true);
    const part = await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.config), { headers: { range: 'bytes=0-9' } });
    expect([part.status, part.body.toString()]).toEqual([206, bytes.subarray(0, 10).toString()]);
  });

  it('percent-encoded paths, tags, commit ids and refs%2Fpr%2F<n> resolve; unknown ones say which part is wrong', async () => {
    const encoders = await fetchRaw(resolveUrl(HUB_IDS.encoders, HUB_FILES.t5), { method: 'HEAD' });
    expect(encoders.status).toBe(302);
    expect(header(encoders, 'x-xet-hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(header(encoders, 'link')).toContain('rel="xet-auth"');
    const repo = sim.world.mustRepo(HUB_IDS.flux);
    expect(header(await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.readme, 'v1.0'), { method: 'HEAD' }), 'x-repo-commit')).toBe(repo.resolve('v1.0')?.id);
    const pr = repo.openPullRequest({ changes: [{ path: HUB_FILES.readme, content: { format: 'text', text: '# changed in a PR\n' } }] });
    const viaPr = await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.readme, `refs/pr/${pr}`));
    expect(viaPr.body.toString()).toBe('# changed in a PR\n');
    expect(header(viaPr, 'x-repo-commit')).toBe(repo.resolve(`refs/pr/${pr}`)?.id);
    const missingFile = await fetchRaw(resolveUrl(HUB_IDS.flux, 'nope.safetensors'), { method: 'HEAD' });
    expect([missingFile.status, header(missingFile, 'x-error-code')]).toEqual([404, 'EntryNotFound']);
    const missingRevision = await fetchRaw(resolveUrl(HUB_IDS.flux, HUB_FILES.readme, 'nope'), { method: 'HEAD' });
    expect([missingRevision.status, header(missingRevision, 'x-error-code')]).toEqual([404, 'RevisionNotFound']);
  });

  it('a renamed repo\'s old URLs redirect (307, relative) to the same URL under the new name', async () => {
    const answer = await fetchRaw(`${sim.hubUrl}/${HUB_IDS.fluxFormer}/resolve/main/${HUB_FILES.readme}?download=true`, { method: 'HEAD' });
    expect([answer.status, header(answer, 'location')]).toEqual([307, `/${HUB_IDS.flux}/resolve/main/${HUB_FILES.readme}?download=true`]);
    const api = await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.fluxFormer}/revision/main`);
    expect([api.status, header(api, 'location')]).toEqual([307, `/api/models/${HUB_IDS.flux}/revision/main`]);
  });

  it('gated files: 401 GatedRepo anonymously, 403 "not in the authorized list" without access, 302 with it', async () => {
    const url = resolveUrl(HUB_IDS.gated, HUB_FILES.gatedModel);
    const anonymous = await fetchRaw(url);
    expect(anonymous.status).toBe(401);
    expect(header(anonymous, 'x-error-code')).toBe('GatedRepo');
    expect(header(anonymous, 'x-error-message')).toBe(`Access to model ${HUB_IDS.gated} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    expect(json(anonymous)).toEqual({ error: header(anonymous, 'x-error-message') });
    const ungranted = await fetchRaw(url, { headers: bearer(UNGRANTED_TOKEN) });
    expect(ungranted.status).toBe(403);
    expect(header(ungranted, 'x-error-message')).toBe(
      `Access to model ${HUB_IDS.gated} is restricted and you are not in the authorized list. Visit ${sim.hubUrl}/${HUB_IDS.gated} to ask for access.`,
    );
    const granted = await fetchRaw(url, { method: 'HEAD', headers: bearer(GRANTED_TOKEN) });
    expect(granted.status).toBe(302);
    expect(header(granted, 'location')).not.toContain(GRANTED_TOKEN);
  });
});

describe('commits and faults', () => {
  it('a commit through the control route changes the file on main; the old commit still serves the old bytes', async () => {
    const repo = sim.world.mustRepo(HUB_IDS.flux);
    const before = repo.head().id;
    const oldBytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae);
    const answer = await fetchRaw(`${sim.hubUrl}/_sim/commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repo: HUB_IDS.flux, title: 'New VAE weights', changes: [{ path: HUB_FILES.fluxVae }] }),
    });
    expect(answer.status).toBe(200);
    const { commitOid } = json(answer) as { commitOid: string };
    expect(commitOid).not.toBe(before);
    expect(repo.head().id).toBe(commitOid);
    const newBytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae);
    expect(sha256(newBytes)).not.toBe(sha256(oldBytes));
    expect(sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae, before).equals(oldBytes)).toBe(true);
    const info = json(await fetchRaw(`${sim.hubUrl}/api/models/${HUB_IDS.flux}/paths-info/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: [HUB_FILES.fluxVae, HUB_FILES.fluxModel], expand: true }),
    })) as { lastCommit: { id: string; title: string } }[];
    expect(info[0]?.lastCommit).toMatchObject({ id: commitOid, title: 'New VAE weights' });
    // The other file did not change, so its last commit is older.
    expect(info[1]?.lastCommit.id).not.toBe(commitOid);
  });

  it('injects 429 with Retry-After on resolve and drops storage connections, scoped by repo and path', async () => {
    sim.addFault({ kind: 'status', status: 429, retryAfter: 7, target: 'download', repo: HUB_IDS.flux, path: HUB_FILES.fluxModel });
    const limited = await fetchRaw(`${sim.hubUrl}/${HUB_IDS.flux}/resolve/main/${HUB_FILES.fluxModel}`, { method: 'HEAD' });
    expect([limited.status, header(limited, 'retry-after')]).toEqual([429, '7']);
    const location = header(await fetchRaw(`${sim.hubUrl}/${HUB_IDS.flux}/resolve/main/${HUB_FILES.fluxModel}`, { method: 'HEAD' }), 'location') ?? '';
    expect(location).toContain(sim.storageUrl);
    sim.addFault({ kind: 'drop', afterBytes: 1000, repo: HUB_IDS.flux, path: HUB_FILES.fluxModel });
    await expect(fetchRaw(location)).rejects.toThrow();
    expect((await fetchRaw(location)).body.length).toBe(sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel).length);
  });
});
