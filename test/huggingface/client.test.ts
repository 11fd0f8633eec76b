import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'undici';
import { createHfClient, type HfClientOptions, type HfResolvedFile } from '../../src/huggingface/client.js';
import type { HfError } from '../../src/huggingface/errors.js';
import { gitBlobId } from '../../src/huggingface/git-blob.js';
import { hubExchange } from '../../src/huggingface/hub-fetch.js';
import { parseHfRef, type HfFileRef } from '../../src/huggingface/refs.js';
import { HUB_FILES, HUB_IDS, startHubSimulator, type HubSimulator } from '../../src/simulator/huggingface/index.js';
import { GRANTED_TOKEN, sha256, TOKENS, UNGRANTED_TOKEN } from './hub-support.js';

let sim: HubSimulator;
const NO_RETRY = { maxAttempts: 1 };

beforeAll(async () => {
  sim = await startHubSimulator({ tokens: TOKENS });
});
afterAll(async () => {
  await sim?.close();
});

const client = (options: Partial<HfClientOptions> = {}) => createHfClient({ endpoint: sim.hubUrl, retry: NO_RETRY, ...options });
const ref = (input: string): HfFileRef => parseHfRef(input, sim.hubUrl)._unsafeUnwrap();

async function resolved(input: string, options: Partial<HfClientOptions> = {}): Promise<HfResolvedFile> {
  const result = await client(options).resolveFile(ref(input));
  if (result.isErr()) throw new Error(result.error.message);
  return result.value;
}

async function failure(input: string, options: Partial<HfClientOptions> = {}): Promise<HfError> {
  const result = await client(options).resolveFile(ref(input));
  if (result.isOk()) throw new Error(`resolved ${input}`);
  return result.error;
}

async function download(url: string): Promise<Buffer> {
  const response = await request(url);
  expect(response.statusCode).toBe(200);
  return Buffer.from(await response.body.arrayBuffer());
}

describe('resolving a file', () => {
  it('an LFS file by resolve URL: pinned commit, size, SHA-256 from the hub, a storage URL that needs no token, repo metadata', async () => {
    const file = await resolved(`${sim.hubUrl}/${HUB_IDS.flux}/resolve/main/${HUB_FILES.fluxModel}`);
    const head = sim.world.mustRepo(HUB_IDS.flux).head();
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel);
    expect(file).toMatchObject({
      source: 'huggingface',
      repo: HUB_IDS.flux,
      path: HUB_FILES.fluxModel,
      fileName: HUB_FILES.fluxModel,
      revision: 'main',
      commit: head.id,
      resolveUrl: `${sim.hubUrl}/${HUB_IDS.flux}/resolve/${head.id}/${HUB_FILES.fluxModel}`,
      size: bytes.length,
      lfs: true,
      verification: { kind: 'sha256', sha256: sha256(bytes) },
      lastCommit: { id: head.id, title: head.title, date: head.date },
    });
    expect(file.repoInfo).toMatchObject({ id: HUB_IDS.flux, author: 'sim-labs', private: false, gated: false, pipelineTag: 'text-to-image', libraryName: 'diffusers' });
    expect(file.repoInfo.tags).toContain('flux');
    expect(new URL(file.storageUrl ?? '').origin).toBe(sim.storageUrl);
    expect(sha256(await download(file.storageUrl ?? ''))).toBe(sha256(bytes));
  });

  it('every reference form names the same file; tags, pull requests and commit ids pin to their own commit', async () => {
    const repo = sim.world.mustRepo(HUB_IDS.flux);
    const forms = [
      `${sim.hubUrl}/${HUB_IDS.flux}/blob/main/${HUB_FILES.fluxVae}`,
      `${sim.hubUrl}/${HUB_IDS.flux}/resolve/main/${HUB_FILES.fluxVae}?download=true`,
      `hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`,
      `hf://${HUB_IDS.flux}@main/${HUB_FILES.fluxVae}`,
      `https://huggingface.co/${HUB_IDS.flux}/resolve/main/${HUB_FILES.fluxVae}`,
    ];
    const commits = new Set<string>();
    for (const form of forms) commits.add((await resolved(form)).commit);
    expect([...commits]).toEqual([repo.head().id]);

    const tagged = await resolved(`hf://${HUB_IDS.flux}@v1.0/${HUB_FILES.readme}`);
    expect([tagged.revision, tagged.commit]).toEqual(['v1.0', repo.resolve('v1.0')?.id]);
    const byCommit = await resolved(`${sim.hubUrl}/${HUB_IDS.flux}/resolve/${tagged.commit}/${HUB_FILES.readme}`);
    expect(byCommit.commit).toBe(tagged.commit);

    const pr = repo.openPullRequest({ changes: [{ path: HUB_FILES.fluxModel }] });
    const encoded = await resolved(`${sim.hubUrl}/${HUB_IDS.flux}/resolve/refs%2Fpr%2F${pr}/${HUB_FILES.fluxModel}`);
    const plain = await resolved(`hf://${HUB_IDS.flux}@refs/pr/${pr}/${HUB_FILES.fluxModel}`);
    expect(encoded.commit).toBe(repo.resolve(`refs/pr/${pr}`)?.id);
    expect(plain.commit).toBe(encoded.commit);
    expect(encoded.verification).toEqual({ kind: 'sha256', sha256: sha256(sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel, `refs/pr/${pr}`)) });
    expect(encoded.verification).not.toEqual((await resolved(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxModel}`)).verification);
  });

  it('a renamed repo: the hub\'s same-origin redirects are followed (with the token, same host) and the new name is pinned', async () => {
    const before = sim.requests.length;
    const file = await resolved(`hf://${HUB_IDS.fluxFormer}/${HUB_FILES.fluxVae}`, { token: GRANTED_TOKEN });
    expect(file.repo).toBe(HUB_IDS.flux);
    expect(file.resolveUrl).toBe(`${sim.hubUrl}/${HUB_IDS.flux}/resolve/${file.commit}/${HUB_FILES.fluxVae}`);
    const hubCalls = sim.requests.slice(before).filter((r) => r.host === 'hub');
    expect(hubCalls.filter((r) => r.url.includes(HUB_IDS.fluxFormer)).length).toBe(3);
    expect(hubCalls.every((r) => r.headers.authorization === `Bearer ${GRANTED_TOKEN}`)).toBe(true);
  });

  it('a path that needs percent-encoding, in a folder, on a Xet repo', async () => {
    const url = `${sim.hubUrl}/${HUB_IDS.encoders}/resolve/main/${HUB_FILES.t5.split('/').map(encodeURIComponent).join('/')}`;
    const file = await resolved(url);
    expect(file.path).toBe(HUB_FILES.t5);
    expect(file.fileName).toBe('t5xxl fp8 (scaled).safetensors');
    expect(file.xetHash).toMatch(/^[0-9a-f]{64}$/);
    expect(file.resolveUrl).toContain('t5xxl%20fp8%20(scaled).safetensors');
    expect(sha256(await download(file.storageUrl ?? ''))).toBe(file.verification.kind === 'sha256' ? file.verification.sha256 : '');
  });

  it('a small non-LFS file: served by the hub, verified by size and git blob id, no storage URL', async () => {
    const file = await resolved(`hf://${HUB_IDS.flux}/${HUB_FILES.config}`);
    const bytes = sim.fileBytes(HUB_IDS.flux, HUB_FILES.config);
    expect(file).toMatchObject({ lfs: false, size: bytes.length, verification: { kind: 'git-blob', gitBlobId: gitBlobId(bytes) } });
    expect(file.storageUrl).toBeUndefined();
    expect(await download(file.resolveUrl)).toEqual(bytes);
  });

  it('a fresh storage URL for the pinned commit when the last one expired', async () => {
    const file = await resolved(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`);
    sim.addFault({ kind: 'expire-url', repo: HUB_IDS.flux, path: HUB_FILES.fluxVae });
    const expired = await request(file.storageUrl ?? '');
    await expired.body.dump();
    expect(expired.statusCode).toBe(403);
    // The branch moves on; the refresh stays on the pinned commit's bytes.
    sim.commit(HUB_IDS.flux, { changes: [{ path: HUB_FILES.fluxVae }] });
    const fresh = (await client().refreshStorageUrl(file))._unsafeUnwrap();
    expect(new URL(fresh ?? '').pathname).toBe(new URL(file.storageUrl ?? '').pathname);
    expect(sha256(await download(fresh ?? ''))).toBe(file.verification.kind === 'sha256' ? file.verification.sha256 : '');
  });
});

describe('gated, private and missing', () => {
  it('a gated repo without a token: names the page to accept the conditions at and HF_TOKEN', async () => {
    const error = await failure(`hf://${HUB_IDS.gated}/${HUB_FILES.gatedModel}`);
    expect(error).toMatchObject({ code: 'GATED', status: 401, repo: HUB_IDS.gated, pageUrl: `${sim.hubUrl}/${HUB_IDS.gated}` });
    expect(error.message).toContain(`${sim.hubUrl}/${HUB_IDS.gated}`);
    expect(error.message).toContain('HF_TOKEN');
  });

  it('a gated repo with a token whose account was not granted access: says so, names the page, never the token', async () => {
    const error = await failure(`hf://${HUB_IDS.gated}/${HUB_FILES.gatedModel}`, { token: UNGRANTED_TOKEN });
    expect(error).toMatchObject({ code: 'GATED', status: 403 });
    expect(error.message).toContain('not been granted');
    expect(error.message).toContain(`${sim.hubUrl}/${HUB_IDS.gated}`);
    expect(JSON.stringify(error)).not.toContain(UNGRANTED_TOKEN);
  });

  it('a gated repo with a granted token resolves, and the token reaches the hub only: never the storage host', async () => {
    const before = sim.requests.length;
    const file = await resolved(`hf://${HUB_IDS.gated}/${HUB_FILES.gatedModel}`, { token: GRANTED_TOKEN });
    expect(file.repoInfo.gated).toBe('manual');
    expect(sha256(await download(file.storageUrl ?? ''))).toBe(file.verification.kind === 'sha256' ? file.verification.sha256 : '');
    const fresh = (await client({ token: GRANTED_TOKEN }).refreshStorageUrl(file))._unsafeUnwrap();
    await download(fresh ?? '');
    const made = sim.requests.slice(before);
    const hubCalls = made.filter((r) => r.host === 'hub');
    expect(hubCalls.length).toBeGreaterThanOrEqual(4);
    expect(hubCalls.every((r) => r.headers.authorization === `Bearer ${GRANTED_TOKEN}`)).toBe(true);
    const storageCalls = made.filter((r) => r.host === 'storage');
    expect(storageCalls.length).toBe(2);
    for (const call of storageCalls) expect(JSON.stringify(call)).not.toContain(GRANTED_TOKEN);
    expect(file.storageUrl).not.toContain(GRANTED_TOKEN);
    // Failures with the canary token say what went wrong, never the token.
    sim.addFault({ kind: 'status', status: 500, target: 'api', repo: HUB_IDS.gated });
    const failures = await Promise.all([
      failure(`hf://${HUB_IDS.gated}/nope.safetensors`, { token: GRANTED_TOKEN }),
      failure(`hf://${HUB_IDS.gated}@nope/${HUB_FILES.gatedModel}`, { token: GRANTED_TOKEN }),
      failure(`hf://${HUB_IDS.gated}/${HUB_FILES.gatedModel}`, { token: GRANTED_TOKEN }),
    ]);
    expect(failures.map((f) => f.code)).toEqual(['FILE_NOT_FOUND', 'REVISION_NOT_FOUND', 'SERVER']);
    for (const f of failures) expect(JSON.stringify(f)).not.toContain(GRANTED_TOKEN);
  });

  it('a private repo: anonymous gets "no repository you can see" with the HF_TOKEN hint; a token that may read it resolves', async () => {
    const error = await failure(`hf://${HUB_IDS.private}/${HUB_FILES.privateLora}`);
    expect(error).toMatchObject({ code: 'REPO_NOT_FOUND', status: 401, repo: HUB_IDS.private });
    expect(error.message).toContain('HF_TOKEN');
    expect((await failure(`hf://${HUB_IDS.private}/${HUB_FILES.privateLora}`, { token: UNGRANTED_TOKEN })).code).toBe('REPO_NOT_FOUND');
    expect((await resolved(`hf://${HUB_IDS.private}/${HUB_FILES.privateLora}`, { token: GRANTED_TOKEN })).repoInfo.private).toBe(true);
  });

  it('a token the hub refuses, a missing file and a missing revision each get their own error', async () => {
    const badToken = 'hf_CanaryRefused000000000000000000';
    const refused = await failure(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxModel}`, { token: badToken });
    expect(refused.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify(refused)).not.toContain(badToken);
    const file = await failure(`hf://${HUB_IDS.flux}/nope.safetensors`);
    expect(file).toMatchObject({ code: 'FILE_NOT_FOUND', path: 'nope.safetensors' });
    const revision = await failure(`hf://${HUB_IDS.flux}@nope/${HUB_FILES.fluxModel}`);
    expect(revision).toMatchObject({ code: 'REVISION_NOT_FOUND', revision: 'nope' });
    expect((await failure(`hf://nobody/nothing/x.safetensors`)).code).toBe('REPO_NOT_FOUND');
  });
});

describe('transient failures', () => {
  it('429 with Retry-After is RATE_LIMITED with the wait; retried, it succeeds', async () => {
    sim.addFault({ kind: 'status', status: 429, retryAfter: 3, target: 'download', repo: HUB_IDS.flux, path: HUB_FILES.readme });
    const limited = await failure(`hf://${HUB_IDS.flux}/${HUB_FILES.readme}`);
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterMs: 3000 });
    sim.addFault({ kind: 'status', status: 429, retryAfter: 0, target: 'api', repo: HUB_IDS.flux });
    const retried = await client({ retry: { maxAttempts: 3, baseDelayMs: 1 } }).resolveFile(ref(`hf://${HUB_IDS.flux}/${HUB_FILES.readme}`));
    expect(retried.isOk()).toBe(true);
  });

  it('5xx is SERVER; an endpoint that does not answer is NETWORK', async () => {
    sim.addFault({ kind: 'status', status: 503, target: 'download', repo: HUB_IDS.flux });
    expect((await failure(`hf://${HUB_IDS.flux}/${HUB_FILES.readme}`)).code).toBe('SERVER');
    const closed = await startHubSimulator();
    const endpoint = closed.hubUrl;
    await closed.close();
    const result = await createHfClient({ endpoint, retry: NO_RETRY, token: GRANTED_TOKEN }).resolveFile({ repo: HUB_IDS.flux, revision: 'main', path: 'x' });
    expect(result._unsafeUnwrapErr().code).toBe('NETWORK');
    expect(result._unsafeUnwrapErr().message).not.toContain(GRANTED_TOKEN);
  });

  it('the hub fetch never sends the token to another origin, whatever headers it is given', async () => {
    const exchange = hubExchange({ endpoint: sim.hubUrl, token: GRANTED_TOKEN, userAgent: 'test', timeoutMs: 5000 });
    const before = sim.requests.length;
    const file = await resolved(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`);
    const response = await exchange.fetch(file.storageUrl ?? '', { headers: { Authorization: `Bearer ${GRANTED_TOKEN}` } });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    const storage = sim.requests.slice(before).filter((r) => r.host === 'storage');
    expect(storage.length).toBe(1);
    expect(storage[0]?.headers.authorization).toBeUndefined();
    expect(exchange.tokenSent()).toBe(false);
  });
});

describe('updates', () => {
  it('a new commit that changes the file is found with its commit; other files stay unchanged; commit ids never move', async () => {
    const vae = await resolved(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`);
    const readme = await resolved(`hf://${HUB_IDS.flux}/${HUB_FILES.readme}`);
    const hf = client();
    expect((await hf.checkForUpdate(ref(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`), vae.verification))._unsafeUnwrap().kind).toBe('unchanged');

    const commit = sim.commit(HUB_IDS.flux, { title: 'Retrained VAE', changes: [{ path: HUB_FILES.fluxVae }] });
    const update = (await hf.checkForUpdate(ref(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`), vae.verification))._unsafeUnwrap();
    expect(update).toMatchObject({
      kind: 'changed',
      lastCommit: { id: commit.id, title: 'Retrained VAE' },
      size: sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae).length,
      verification: { kind: 'sha256', sha256: sha256(sim.fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae)) },
    });
    const untouched = (await hf.checkForUpdate(ref(`hf://${HUB_IDS.flux}/${HUB_FILES.readme}`), readme.verification))._unsafeUnwrap();
    expect(untouched.kind).toBe('unchanged');
    expect((await hf.checkForUpdate({ ...ref(`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`), revision: vae.commit }, vae.verification))._unsafeUnwrap().kind).toBe('pinned');

    sim.commit(HUB_IDS.flux, { changes: [], deletions: [HUB_FILES.readme] });
    expect((await hf.checkForUpdate(ref(`hf://${HUB_IDS.flux}/${HUB_FILES.readme}`), readme.verification))._unsafeUnwrap().kind).toBe('removed');
    // The pinned download of the old commit still serves the old bytes.
    expect((await download(readme.resolveUrl)).length).toBe(readme.size);
  });

  it('works for small files too, by git blob id', async () => {
    const file = await resolved(`hf://${HUB_IDS.encoders}/README.md`);
    sim.commit(HUB_IDS.encoders, { changes: [{ path: 'README.md', content: { format: 'text', text: '# Text encoders, v2\n' } }] });
    const update = (await client().checkForUpdate(ref(`hf://${HUB_IDS.encoders}/README.md`), file.verification))._unsafeUnwrap();
    expect(update).toMatchObject({ kind: 'changed', verification: { kind: 'git-blob', gitBlobId: gitBlobId(Buffer.from('# Text encoders, v2\n')) } });
  });
});
