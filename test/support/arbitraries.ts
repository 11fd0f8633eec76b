import fc from 'fast-check';
import type { DomainEvent } from '../../src/events/index.js';

const sha = fc.stringMatching(/^[0-9a-f]{64}$/);
const id = fc.integer({ min: 1, max: 1_000_000 });
const name = fc.string({ maxLength: 20 });

/** Any schema-valid event of the download, routing and settings families: histories need not make sense. */
export const domainEvent: fc.Arbitrary<DomainEvent> = fc.oneof(
  fc.record({ jobId: fc.constantFrom('j1', 'j2', 'j3'), input: name, versionId: fc.option(id, { nil: undefined }) })
    .map((data) => ({ type: 'download.requested' as const, data })),
  fc.record({
    modelId: id, versionId: id, fileId: id, fileName: name.map((s) => `${s}.safetensors`), sizeBytes: fc.nat(),
    sha256: fc.option(sha, { nil: null }), modelName: name, versionName: name, modelType: fc.constantFrom('Checkpoint', 'LORA'),
    baseModel: fc.option(fc.constantFrom('SD 1.5', 'SDXL 1.0'), { nil: null }), civitai: fc.constant({ id: 1 }),
  }).map((data) => ({ type: 'download.resolved' as const, data: { source: 'civitai' as const, ...data } })),
  fc.record({
    repo: fc.constantFrom('sim-labs/flux-sim', 'owner/repo'), revision: fc.stringMatching(/^[0-9a-f]{40}$/), repoPath: name.map((s) => `dir/${s}.safetensors`),
    fileName: name.map((s) => `${s}.safetensors`), sizeBytes: fc.nat(), lfs: fc.boolean(), sha256: sha, gitBlobId: fc.stringMatching(/^[0-9a-f]{40}$/),
  }).map(({ lfs, sha256, gitBlobId, ...d }) => ({
    type: 'download.resolved' as const,
    data: {
      source: 'huggingface' as const, ...d, requestedRevision: 'main', sha256: lfs ? sha256 : null, gitBlobId: lfs ? null : gitBlobId,
      url: `https://huggingface.co/${d.repo}/resolve/${d.revision}/${d.repoPath}`, modelName: d.repo, versionName: 'main', modelType: null, baseModel: null, huggingface: {},
    },
  })),
  fc.record({ attempt: fc.integer({ min: 1, max: 9 }) }).map((data) => ({ type: 'download.attempt_started' as const, data })),
  fc.record({ segment: fc.nat(3), offset: fc.nat(1 << 30), length: fc.integer({ min: 1, max: 1 << 24 }) })
    .map((data) => ({ type: 'download.chunk_written' as const, data })),
  fc.record({ segment: fc.nat(3), at: fc.integer({ min: 1, max: 1 << 30 }), newSegment: fc.integer({ min: 4, max: 9 }) })
    .map((data) => ({ type: 'download.segment_split' as const, data })),
  fc.record({ sha256: sha, bytes: fc.nat() }).map((data) => ({ type: 'download.transfer_completed' as const, data })),
  fc.record({ sha256: sha }).map((data) => ({ type: 'download.hash_verified' as const, data })),
  fc.record({
    path: name.map((s) => `loras/${s}.safetensors`), folder: fc.constant('loras'), sizeBytes: fc.nat(), sha256: sha, alreadyPresent: fc.boolean(),
  }).map((data) => ({ type: 'download.placed' as const, data })),
  fc.record({ totalBytes: fc.integer({ min: 1, max: 1 << 30 }), rangesIgnored: fc.boolean() }).map(({ totalBytes, rangesIgnored }) => ({
    type: 'download.transfer_planned' as const,
    data: { totalBytes, segments: [{ index: 0, start: 0, end: totalBytes }], etag: null, lastModified: null, partName: 'j.part', rangesIgnored },
  })),
  fc.record({ retry: fc.integer({ min: 1, max: 9 }), delayMs: fc.nat(600_000) }).map(({ retry, delayMs }) => ({
    type: 'download.retry_scheduled' as const,
    data: { retry, code: 'NETWORK', message: 'refused', delayMs, nextAttemptAt: new Date(Date.UTC(2026, 0, 1) + delayMs).toISOString(), failingSince: '2026-01-01T00:00:00.000Z' },
  })),
  fc.record({ expected: sha, actual: sha }).map((d) => ({ type: 'download.hash_mismatched' as const, data: { algorithm: 'sha256' as const, ...d, quarantinePath: '/q/j-a.safetensors' } })),
  fc.constantFrom<DomainEvent>(
    { type: 'download.transfer_restarted', data: { reason: 'the file changed' } },
    { type: 'download.connection_retried', data: { segment: 1, failure: 'stall', detail: 'no data for 30 s', delayMs: 700 } },
    { type: 'download.url_refreshed', data: { reason: 'the storage host answered 403 to the signed URL' } },
    { type: 'download.paused', data: { reason: 'disk_full', message: 'Not enough disk space: need 1 GB, 2 MB free on /m' } },
    { type: 'download.paused', data: { reason: 'user', message: null } },
    { type: 'download.resumed', data: {} },
    { type: 'download.cancelled', data: {} },
    { type: 'download.retried', data: {} },
    { type: 'download.failed', data: { code: 'NETWORK', message: 'reset', retryable: true } },
  ),
  fc.record({ value: fc.integer({ min: 1, max: 16 }) }).map((v) => ({ type: 'settings.changed' as const, data: { key: 'concurrency' as const, ...v } })),
);

const path = fc.constantFrom('loras/a.safetensors', 'loras/b.safetensors', 'checkpoints/c.safetensors');
const fewShas = fc.constantFrom('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64));
const smallId = fc.integer({ min: 1, max: 5 });

/** Library events over a few paths, hashes and models, so that moves, misses and updates collide. */
export const libraryEvent: fc.Arbitrary<DomainEvent> = fc.oneof(
  fc.record({ path, dev: fc.nat(3), ino: fc.nat(5), size: fc.nat(100), mtimeMs: fc.nat(1000), sha256: fewShas, checkedAtMs: fc.nat(5000) })
    .map((data) => ({ type: 'file.hashed' as const, data })),
  fc.record({ path, folder: fc.constantFrom('loras', 'checkpoints'), sha256: fewShas, sizeBytes: fc.nat(100) }).map((data) => ({ type: 'file.discovered' as const, data })),
  fc.record({
    sha256: fewShas, modelId: smallId, versionId: smallId, modelName: name, versionName: name, modelType: fc.constant('LORA'),
    baseModel: fc.constant(null), source: fc.constantFrom('civitai' as const, 'sidecar' as const), civitai: fc.constant({}),
  }).map((data) => ({ type: 'file.identified' as const, data })),
  fc.record({ sha256: fewShas }).map((data) => ({ type: 'file.unidentified' as const, data })),
  fc.record({ from: path, to: path, sha256: fewShas, folder: fc.constantFrom('loras', 'checkpoints', null) }).map((data) => ({ type: 'file.moved' as const, data })),
  fc.record({ path, sha256: fewShas }).map((data) => ({ type: 'file.missing' as const, data })),
  fc.record({ path, sha256: fewShas }).map((data) => ({ type: 'file.returned' as const, data })),
  fc.record({ modelId: smallId, versionId: smallId, versionName: name, publishedAt: fc.constant(null), baseModel: fc.constant(null), installedVersionId: smallId })
    .map((data) => ({ type: 'model.version_discovered' as const, data })),
  fc.record({ modelId: smallId, versionId: fc.option(smallId, { nil: null }) }).map((data) => ({ type: 'update.ignored' as const, data })),
  fc.record({ key: fc.constantFrom('k1', 'k2'), kind: fc.constant('update' as const), summary: name }).map((data) => ({ type: 'notification.sent' as const, data })),
);

export const history = fc.array(fc.tuple(fc.constantFrom('j1', 'j2', 'j3'), fc.oneof(domainEvent, libraryEvent)), { maxLength: 60 });
