import { describe, expect, it } from 'vitest';
import { folderCounts, matchesQuery, sortCatalog } from '../../desktop/src/lib/catalog.js';
import { eventTitle, eventTone, groupOfStream, summarizeEvent } from '../../desktop/src/lib/event-summary.js';
import { formatAgo, formatBytes, formatCount, formatEta, fraction } from '../../desktop/src/lib/format.js';
import { downloadAction, jobTitle, mergeJobs, newestJobByVersion, splitJobs, upsertJob } from '../../desktop/src/lib/jobs.js';
import { launchCodeFromHash, parseRoute, routeHash, tokenFromHash } from '../../desktop/src/lib/routes.js';
import { addSample, etaSeconds, speedOf } from '../../desktop/src/lib/speed.js';
import type { CatalogEntryJson, JobJson } from '../../src/ipc/protocol.js';

const job = (over: Partial<JobJson>): JobJson => ({
  id: 'j', state: 'queued', modelId: null, versionId: null, fileId: null, fileName: null, path: null, sha256: null, bytesDone: 0, bytesTotal: null,
  error: null, errorCode: null, modelName: null, versionName: null, type: null, baseModel: null, folder: null, routingReason: null, attempts: 0,
  nextAttemptAt: null, pausedReason: null,
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', source: 'civitai', repo: null, revision: null, repoPath: null, ...over,
});
const entry = (over: Partial<CatalogEntryJson>): CatalogEntryJson => ({
  path: 'loras/a.safetensors', folder: 'loras', sha256: 'a'.repeat(64), sizeBytes: 1, modelId: 1, versionId: 2, modelName: 'Alpha', versionName: 'v1',
  type: 'LORA', baseModel: 'SDXL 1.0', origin: 'download', update: null, routingReason: null, flagged: null, missing: false, ...over,
});

describe('formatting', () => {
  it('reads sizes, times and counts as people write them', () => {
    expect([formatBytes(0), formatBytes(1536), formatBytes(52_428_800), formatBytes(7.5 * 1024 ** 3), formatBytes(null)]).toEqual(['0 B', '1.5 KiB', '50.0 MiB', '7.5 GiB', '—']);
    expect([formatEta(0.2), formatEta(42), formatEta(600), formatEta(3900), formatEta(null)]).toEqual(['1 s', '42 s', '10 min', '1 h 5 min', '']);
    expect([fraction(5, 10), fraction(12, 10), fraction(1, null), fraction(1, 0)]).toEqual([0.5, 1, null, null]);
    expect([formatCount(999), formatCount(1234), formatCount(32_565), formatCount(2_500_000)]).toEqual(['999', '1.2k', '33k', '2.5M']);
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect([formatAgo('2026-03-10T11:59:50Z', now), formatAgo('2026-03-10T11:10:00Z', now), formatAgo('2026-03-08T12:00:00Z', now), formatAgo('2025-01-01T00:00:00Z', now)])
      .toEqual(['just now', '50 min ago', '2 d ago', '2025-01-01']);
  });
});

describe('transfer speed', () => {
  it('measures over a sliding window, starts over after a restart, and needs time to say anything', () => {
    let samples = addSample([], { at: 0, bytes: 0 });
    expect(speedOf(samples)).toBeNull();
    for (let t = 250; t <= 10_000; t += 250) samples = addSample(samples, { at: t, bytes: t * 1000 });
    expect(speedOf(samples)).toBe(1_000_000);
    expect(samples[0]!.at).toBeGreaterThanOrEqual(10_000 - 4000 - 250);
    samples = addSample(samples, { at: 10_250, bytes: 5 });
    expect(samples).toHaveLength(1);
    expect(etaSeconds(250, 1250, 100)).toBe(10);
    expect(etaSeconds(0, null, 100)).toBeNull();
  });
});

describe('jobs', () => {
  it('splits active (oldest first) from finished (newest first)', () => {
    const jobs = [
      job({ id: 'a', state: 'completed', updatedAt: '2026-01-01T00:00:01Z' }),
      job({ id: 'b', state: 'downloading', createdAt: '2026-01-01T00:00:05Z' }),
      job({ id: 'c', state: 'paused', createdAt: '2026-01-01T00:00:02Z' }),
      job({ id: 'd', state: 'failed', updatedAt: '2026-01-01T00:00:09Z' }),
    ];
    const { active, finished } = splitJobs(jobs);
    expect(active.map((j) => j.id)).toEqual(['c', 'b']);
    expect(finished.map((j) => j.id)).toEqual(['d', 'a']);
  });

  it('names a job by what is known of it', () => {
    expect(jobTitle(job({ modelName: 'Sim', versionName: 'v2' }))).toBe('Sim · v2');
    expect(jobTitle(job({ versionId: 7 }))).toBe('Version 7');
  });

  it('keeps the copy of a job that changed last when a queue answer and the live feed cross', () => {
    const pushed = job({ id: 'a', state: 'paused', updatedAt: '2026-01-01T00:00:09Z' });
    const older = job({ id: 'a', state: 'downloading', updatedAt: '2026-01-01T00:00:05Z' });
    expect(mergeJobs([pushed], [older, job({ id: 'b' })]).map((j) => [j.id, j.state])).toEqual([['a', 'paused'], ['b', 'queued']]);
    expect(upsertJob([older, job({ id: 'b' })], pushed).map((j) => [j.id, j.state])).toEqual([['a', 'paused'], ['b', 'queued']]);
    expect(upsertJob([], pushed)).toEqual([pushed]);
  });

  it('retries the newest job of a version that failed or was cancelled instead of adding a second one', () => {
    const failed = job({ id: 'old', versionId: 5, state: 'failed', createdAt: '2026-01-01T00:00:01Z' });
    const retried = job({ id: 'new', versionId: 5, state: 'cancelled', createdAt: '2026-01-01T00:00:02Z' });
    expect(newestJobByVersion([retried, failed]).get(5)?.id).toBe('new');
    expect([downloadAction(undefined), downloadAction(failed), downloadAction(retried), downloadAction(job({ state: 'waiting' })), downloadAction(job({ state: 'completed' }))])
      .toEqual(['add', 'retry', 'retry', 'running', 'add']);
  });
});

describe('library', () => {
  it('filters by every word, counts folders, and lists updates first', () => {
    const entries = [entry({ path: 'loras/b.safetensors', modelName: 'Beta' }), entry({ path: 'checkpoints/z.safetensors', folder: 'checkpoints', modelName: 'Zeta', update: { versionId: 3, versionName: 'v2', publishedAt: null } })];
    expect(entries.filter((e) => matchesQuery(e, 'beta SDXL')).map((e) => e.modelName)).toEqual(['Beta']);
    expect(entries.filter((e) => matchesQuery(e, '  ')).length).toBe(2);
    expect(folderCounts([...entries, entry({})])).toEqual([['loras', 2], ['checkpoints', 1]]);
    expect(sortCatalog([...entries, entry({})]).map((e) => e.modelName)).toEqual(['Zeta', 'Alpha', 'Beta']);
  });
});

describe('timeline', () => {
  it('titles, groups and colours events, and says what happened in words', () => {
    expect([eventTitle('download.hash_verified'), eventTitle('sidecar.written'), eventTitle('model.version_discovered')]).toEqual(['Hash verified', 'Sidecar written', 'Version discovered']);
    expect([groupOfStream('download-abc'), groupOfStream('file-0f0f'), groupOfStream('notify'), groupOfStream('settings'), groupOfStream('new-thing')]).toEqual(['downloads', 'library', 'library', 'settings', 'other']);
    expect([eventTone('download.failed'), eventTone('download.placed'), eventTone('download.paused'), eventTone('download.resolved')]).toEqual(['bad', 'good', 'warn', 'plain']);
    expect(summarizeEvent({ type: 'download.failed', data: { code: 'UNAUTHORIZED', message: 'set a key', retryable: false } })).toBe('Set a key');
    expect(summarizeEvent({ type: 'routing.decided', data: { folder: 'loras', reason: 'the header says so' } })).toBe('loras — the header says so');
    expect(summarizeEvent({ type: 'download.placed', data: { path: 'loras/a.safetensors', alreadyPresent: true } })).toBe('loras/a.safetensors (an identical file was already there)');
    // The example: a 24 KB file is not "0.0 MB".
    expect(summarizeEvent({ type: 'download.transfer_completed', data: { sha256: 'a'.repeat(64), bytes: 24_576 } })).toBe('24.0 KiB received');
    // A type this app does not know yet still reads as words, never as JSON.
    expect(summarizeEvent({ type: 'download.someday_happened', data: { attempt: 2, nextAttemptAt: '2026-01-01T00:00:05Z', reason: { nested: 1 } } }))
      .toBe('attempt: 2 · next attempt at: 2026-01-01T00:00:05Z');
    expect(summarizeEvent({ type: 'download.retry_scheduled', data: { retry: 2, code: 'NETWORK', message: 'the storage host refused the connection', delayMs: 7400 } }))
      .toBe('Trying again in 7 s (retry 2): The storage host refused the connection');
  });
});

describe('routes and launch fragments', () => {
  it('maps fragments to pages and back', () => {
    expect(parseRoute('#/library')).toEqual({ page: 'library' });
    expect(parseRoute('#/browse/model/1008')).toEqual({ page: 'model', id: 1008 });
    expect(parseRoute('#token=abc')).toEqual({ page: 'downloads' });
    expect(parseRoute('')).toEqual({ page: 'downloads' });
    for (const route of [{ page: 'timeline' }, { page: 'workflow' }, { page: 'model', id: 5 }] as const) expect(parseRoute(routeHash(route))).toEqual(route);
  });

  it('finds the token or the one-time launch code, and nothing that merely looks like them', () => {
    const t = 'A'.repeat(43);
    expect(tokenFromHash(`#token=${t}`)).toBe(t);
    expect(launchCodeFromHash(`#launch=${t}`)).toBe(t);
    expect(tokenFromHash(`#launch=${t}`)).toBeNull();
    expect(tokenFromHash('#token=short')).toBeNull();
    expect(tokenFromHash(`#/library?token=${t}`)).toBeNull();
    expect(tokenFromHash(`#mytoken=${t}`)).toBeNull();
  });
});
