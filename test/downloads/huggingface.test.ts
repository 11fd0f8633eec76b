// Hugging Face as a source, end to end: a spawned daemon downloads from the bundled hub simulator over loopback HTTP,
// the same transfer, verify, route, place and sidecar path as CivitAI's files.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntryJson, EventJson, JobJson } from '../../src/ipc/protocol.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { HUB_FILES, HUB_IDS, startHubSimulator, type HubSimulator } from '../../src/simulator/huggingface/index.js';
import { GRANTED_TOKEN, TOKENS, UNGRANTED_TOKEN } from '../huggingface/hub-support.js';
import { cli, cliJson, daemonHome, loggedRows, spawnDaemon, testBackend, type CliResult, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait, filesUnder } from '../support/downloads.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type AddJson = JobJson & { existing: boolean; retried: boolean; repair: boolean };
type UpdateJson = Record<string, unknown> & { kind: string; source: string };

describe('Hugging Face files through the daemon, against the hub simulator', () => {
  let hub: HubSimulator;
  let civitai: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  /** Every CLI answer, searched for the tokens at the end. */
  const outputs: CliResult[] = [];
  const daemonLogs: string[] = [];
  const run = async (args: readonly string[], options: Parameters<typeof cli>[2] = {}): Promise<CliResult> => {
    const r = await cli(home, args, { timeoutMs: 120_000, ...options });
    outputs.push(r);
    return r;
  };
  const restart = async (env: NodeJS.ProcessEnv = {}): Promise<void> => {
    await daemon.stop();
    daemonLogs.push(daemon.stderr());
    daemon = await spawnDaemon(home, [], env);
  };
  const fileBytes = (repo: string, path: string, revision = 'main') => hub.fileBytes(repo, path, revision);
  const headOf = (repo: string) => hub.world.mustRepo(repo).head().id;

  beforeAll(async () => {
    hub = await startHubSimulator({ tokens: TOKENS });
    civitai = await startSimulator();
    home = daemonHome({ HF_ENDPOINT: hub.hubUrl, CIVITAI_BASE_URL: civitai.apiUrl });
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    await daemon?.stop();
    await hub?.close();
    await civitai?.close();
    home?.cleanup();
  });

  it('downloads an LFS file by its resolve URL: pinned to the commit, verified by the hub\'s SHA-256, routed by its header, with a source sidecar', async () => {
    // The first signed storage URL has expired by the time it is used: the source asks the hub for a fresh one.
    hub.addFault({ kind: 'expire-url', repo: HUB_IDS.flux, path: HUB_FILES.fluxModel });
    const { code, job, stderr } = await addAndWait(home, [`${hub.hubUrl}/${HUB_IDS.flux}/resolve/main/${HUB_FILES.fluxModel}`]);
    expect(code, stderr).toBe(0);
    const bytes = fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel);
    expect(job).toMatchObject({
      state: 'completed', source: 'huggingface', repo: HUB_IDS.flux, revision: headOf(HUB_IDS.flux), repoPath: HUB_FILES.fluxModel,
      modelId: null, versionId: null, fileId: null, folder: 'diffusion_models', sha256: sha256(bytes),
    });
    // A diffusion model alone: the first folder ComfyUI searches for it on a fresh tree, by the base model its header names.
    expect(job!.path).toBe(`unet/Flux.1 S/${HUB_FILES.fluxModel}`);
    expect(sha256(readFileSync(join(home.modelsDir, job!.path!)))).toBe(sha256(bytes));
    const sidecar = JSON.parse(readFileSync(join(home.modelsDir, job!.path!.replace(/\.safetensors$/, '.metadata.json')), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({
      from_civitai: false, civitai: {}, sha256: sha256(bytes), model_name: HUB_IDS.flux, tags: expect.arrayContaining(['flux']),
      source: {
        type: 'huggingface', repo: HUB_IDS.flux, revision: headOf(HUB_IDS.flux), path: HUB_FILES.fluxModel,
        url: `${hub.hubUrl}/${HUB_IDS.flux}/resolve/${headOf(HUB_IDS.flux)}/${HUB_FILES.fluxModel}`,
      },
      comfyui_dl: { modelId: null, versionId: null },
    });
    const history = await cliJson<EventJson[]>(home, ['history', '--stream', `download-${job!.id}`]);
    expect(history.map((e) => e.type)).toContain('download.url_refreshed');
    expect(history.find((e) => e.type === 'download.resolved')).toMatchObject({ version: 2, data: { source: 'huggingface', sha256: sha256(bytes), gitBlobId: null, requestedRevision: 'main' } });
  });

  it('takes every reference form of that file as the same file, and pins each revision to its own commit', async () => {
    const sameFile = [
      `${hub.hubUrl}/${HUB_IDS.flux}/blob/main/${HUB_FILES.fluxModel}`,
      // The public hub's own URLs name the same file, which is asked of HF_ENDPOINT (never of huggingface.co here).
      `https://huggingface.co/${HUB_IDS.flux}/blob/main/${HUB_FILES.fluxModel}`,
      `hf://${HUB_IDS.flux}/${HUB_FILES.fluxModel}`,
      `hf://${HUB_IDS.flux}@v1.0/${HUB_FILES.fluxModel}`,
      `hf://${HUB_IDS.flux}@${headOf(HUB_IDS.flux)}/${HUB_FILES.fluxModel}`,
      // The repo's former name: the hub redirects it, and the job names the repo as it is called now.
      `${hub.hubUrl}/${HUB_IDS.fluxFormer}/resolve/main/${HUB_FILES.fluxModel}`,
    ];
    const first = (await cliJson<AddJson[]>(home, ['queue', '--all'])).length;
    for (const ref of sameFile) {
      const added = JSON.parse((await run(['add', ref, '--json'])).stdout) as AddJson;
      expect(added, ref).toMatchObject({ existing: true, repair: false, state: 'completed', repo: HUB_IDS.flux, path: `unet/Flux.1 S/${HUB_FILES.fluxModel}` });
    }
    expect(await cliJson<JobJson[]>(home, ['queue', '--all'])).toHaveLength(first);

    // A pull request holds other bytes: a file of its own, pinned to the pull request's commit.
    const pr = hub.world.mustRepo(HUB_IDS.flux).openPullRequest({ changes: [{ path: HUB_FILES.fluxModel }] });
    const fromPr = await addAndWait(home, [`hf://${HUB_IDS.flux}@refs/pr/${pr}/${HUB_FILES.fluxModel}`]);
    expect(fromPr.code, fromPr.stderr).toBe(0);
    const prCommit = hub.world.mustRepo(HUB_IDS.flux).resolve(`refs/pr/${pr}`)!.id;
    expect(fromPr.job).toMatchObject({ revision: prCommit, sha256: sha256(fileBytes(HUB_IDS.flux, HUB_FILES.fluxModel, `refs/pr/${pr}`)) });
    expect(prCommit).not.toBe(headOf(HUB_IDS.flux));

    // A path in a folder that needs percent-encoding, on a repo stored on Xet.
    const encoded = `${hub.hubUrl}/${HUB_IDS.encoders}/resolve/main/${HUB_FILES.t5.split('/').map(encodeURIComponent).join('/')}`;
    const t5 = await addAndWait(home, [encoded]);
    expect(t5.code, t5.stderr).toBe(0);
    expect(t5.job).toMatchObject({ repoPath: HUB_FILES.t5, folder: 'text_encoders', sha256: sha256(fileBytes(HUB_IDS.encoders, HUB_FILES.t5)) });
  });

  it('refuses what is not a file, a file that is not there and CivitAI-only flags, with exit 2 and what to do', async () => {
    const tree = await run(['add', `${hub.hubUrl}/${HUB_IDS.flux}/tree/main`]);
    expect(tree.code).toBe(2);
    expect(tree.stderr).toMatch(/does not name a file/);
    const missing = await run(['add', `hf://${HUB_IDS.flux}/nope.safetensors`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/has no file nope\.safetensors/);
    const flags = await run(['add', `hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`, '--fp', 'fp16']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/--fp pick a CivitAI file/);
  });

  it('verifies a small file the repo keeps in git by its size and git blob id', async () => {
    const { code, job, stderr } = await addAndWait(home, [`hf://${HUB_IDS.flux}/${HUB_FILES.smallEmbedding}`]);
    expect(code, stderr).toBe(0);
    const bytes = fileBytes(HUB_IDS.flux, HUB_FILES.smallEmbedding);
    expect(job).toMatchObject({ state: 'completed', folder: 'embeddings', sha256: sha256(bytes) });
    expect(statSync(join(home.modelsDir, job!.path!)).size).toBe(bytes.length);
    const history = await cliJson<EventJson[]>(home, ['history', '--stream', `download-${job!.id}`]);
    const gitBlob = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    expect(history.find((e) => e.type === 'download.resolved')!.data).toMatchObject({ sha256: null, gitBlobId: gitBlob, sizeBytes: bytes.length });
    expect(history.map((e) => e.type)).toContain('download.hash_verified');
  });

  it('a gated repo: without a token, or with one not granted, exit 1 names the page to accept its conditions at and HF_TOKEN; a granted token downloads it', async () => {
    const ref = `hf://${HUB_IDS.gated}/${HUB_FILES.gatedModel}`;
    const page = `${hub.hubUrl}/${HUB_IDS.gated}`;
    const anonymous = await run(['add', ref, '--json']);
    expect(anonymous.code).toBe(1);
    expect(JSON.parse(anonymous.stdout)).toMatchObject({ error: { exitCode: 1, message: expect.stringContaining(page) } });
    expect(anonymous.stderr).toMatch(/gated repository on Hugging Face; accept its conditions at .* then set HF_TOKEN/);

    await restart({ HF_TOKEN: UNGRANTED_TOKEN });
    const ungranted = await run(['add', ref]);
    expect(ungranted.code).toBe(1);
    expect(ungranted.stderr).toContain(page);
    expect(ungranted.stderr).toMatch(/has not been granted access/);

    // The token stored by the CLI (stdin, never argv) in a 0600 config file; the daemon reads it at start.
    const stored = await run(['config', 'set-key', '--huggingface'], { input: `${GRANTED_TOKEN}\n` });
    expect(stored.code, stored.stderr).toBe(0);
    const configFile = join(home.dir, 'config', 'comfyui-dl', 'config.json');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    await restart();
    const shown = JSON.parse((await run(['config', 'show', '--json'])).stdout) as { hfToken: { value: string; source: string } };
    expect(shown.hfToken).toEqual({ value: `${GRANTED_TOKEN.slice(0, 4)}…${GRANTED_TOKEN.slice(-4)}`, source: 'file' });
    const { code, job, stderr } = await addAndWait(home, [ref]);
    outputs.push({ code, stdout: JSON.stringify(job), stderr });
    expect(code, stderr).toBe(0);
    expect(job).toMatchObject({ state: 'completed', repo: HUB_IDS.gated, sha256: sha256(fileBytes(HUB_IDS.gated, HUB_FILES.gatedModel)) });
    // The hub serves a gated repo's small git files only with the token, which no transfer carries: said at once.
    const small = await run(['add', `hf://${HUB_IDS.gated}/README.md`]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/README\.md is a small file .* keeps in git rather than LFS, and the repo is gated: .* download it from http/);
  });

  it('a newer commit on the branch that changes a file is an update: updates lists it, updates get fetches it beside the old one', async () => {
    const first = await addAndWait(home, [`hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`]);
    expect(first.code, first.stderr).toBe(0);
    const installed = headOf(HUB_IDS.flux);
    const commit = hub.commit(HUB_IDS.flux, { title: 'Retrained VAE', changes: [{ path: HUB_FILES.fluxVae }] });
    const newBytes = fileBytes(HUB_IDS.flux, HUB_FILES.fluxVae);
    expect(sha256(newBytes)).not.toBe(first.job!.sha256);

    const updates = await cliJson<UpdateJson[]>(home, ['updates', '--check']);
    const ref = `hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`;
    expect(updates.filter((u) => u.source === 'huggingface')).toEqual([expect.objectContaining({
      kind: 'commit', modelId: null, repo: HUB_IDS.flux, repoPath: HUB_FILES.fluxVae, revision: 'main', ref, path: first.job!.path,
      installedRevision: installed, latestRevision: commit.id, latestVersionName: 'Retrained VAE', remoteSha256: sha256(newBytes),
    })]);
    // Files the commit did not touch, and files pinned to a commit, have no update.
    expect(updates.filter((u) => u.repoPath === HUB_FILES.fluxModel)).toEqual([]);
    expect((await run(['updates'])).stdout).toContain(`a newer commit on main of ${HUB_IDS.flux} changed ${HUB_FILES.fluxVae} ("Retrained VAE")`);

    const got = await run(['updates', 'get', ref, '--wait', '--json']);
    expect(got.code, got.stderr).toBe(0);
    const job = JSON.parse(got.stdout) as AddJson;
    expect(job).toMatchObject({ state: 'completed', revision: commit.id, sha256: sha256(newBytes), repair: false });
    expect(job.path).not.toBe(first.job!.path);
    expect(sha256(readFileSync(join(home.modelsDir, first.job!.path!)))).toBe(first.job!.sha256);
    expect((await cliJson<UpdateJson[]>(home, ['updates'])).filter((u) => u.source === 'huggingface')).toEqual([]);
  });

  it('lists Hugging Face files with their source, repo, commit and path and no CivitAI ids; a scan does not ask CivitAI who they are', async () => {
    const summary = (await cliJson<{ summary: { files: number; unknown: number } }>(home, ['scan', '--wait'])).summary;
    expect(summary).toMatchObject({ unknown: 0 });
    expect(summary.files).toBeGreaterThan(4);
    expect(civitai.requests.filter((q) => q.url.includes('by-hash') || q.url.includes('/by-hash/'))).toEqual([]);
    const list = await cliJson<CatalogEntryJson[]>(home, ['list']);
    expect(list.length).toBe(summary.files);
    for (const entry of list) {
      expect(entry).toMatchObject({ source: 'huggingface', modelId: null, versionId: null, origin: 'download' });
      expect(entry.repo).toMatch(/^sim-/);
      expect(entry.revision).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(list.find((e) => e.repoPath === HUB_FILES.smallEmbedding)).toMatchObject({ repo: HUB_IDS.flux, folder: 'embeddings' });
  });

  it('sends the token to the hub alone: never to the storage host, and it is nowhere in the log, its WAL, outputs or sidecars', async () => {
    const history = await run(['history', '--limit', '10000', '--json']);
    const places: [string, string][] = [['daemon stderr', [...daemonLogs, daemon.stderr()].join('\n')]];
    outputs.forEach((o, i) => places.push([`cli output ${i}`, `${o.stdout}\n${o.stderr}`]));
    places.push(['history', history.stdout]);
    for (const f of filesUnder(home.dataDir)) places.push([f, readFileSync(join(home.dataDir, f)).toString('latin1')]);
    // On PostgreSQL the log is not in the data folder: its rows are searched where they are.
    places.push(['the events table', JSON.stringify(await loggedRows(home))]);
    for (const f of filesUnder(home.modelsDir)) if (f.endsWith('.json')) places.push([f, readFileSync(join(home.modelsDir, f), 'utf8')]);
    const storage = hub.requests.filter((q) => q.host === 'storage');
    for (const req of storage) places.push([`storage ${req.method} ${req.url}`, JSON.stringify(req)]);
    expect(storage.length).toBeGreaterThan(0);
    for (const token of [GRANTED_TOKEN, UNGRANTED_TOKEN]) {
      expect(places.filter(([, text]) => text.includes(token)).map(([where]) => where), token).toEqual([]);
    }
    expect(storage.every((q) => q.headers.authorization === undefined)).toBe(true);
    // The controls: the tokens did reach the hub, as headers, and the log was searched while it held events (on
    // SQLite in its WAL).
    expect(hub.requests.some((q) => q.host === 'hub' && q.headers.authorization === `Bearer ${GRANTED_TOKEN}`)).toBe(true);
    expect(hub.requests.some((q) => q.host === 'hub' && q.headers.authorization === `Bearer ${UNGRANTED_TOKEN}`)).toBe(true);
    if (testBackend === 'sqlite') expect(places.some(([where]) => where.endsWith('events.db-wal'))).toBe(true);
    expect(places.find(([where]) => where === 'the events table')![1]).toContain('download.requested');
  });
});
