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
  }).map((data) => ({ type: 'download.resolved' as const, data })),
  fc.record({ attempt: fc.integer({ min: 1, max: 9 }) }).map((data) => ({ type: 'download.attempt_started' as const, data })),
  fc.record({ segment: fc.nat(3), offset: fc.nat(1 << 30), length: fc.integer({ min: 1, max: 1 << 24 }) })
    .map((data) => ({ type: 'download.chunk_written' as const, data })),
  fc.record({ sha256: sha, bytes: fc.nat() }).map((data) => ({ type: 'download.transfer_completed' as const, data })),
  fc.record({ sha256: sha }).map((data) => ({ type: 'download.hash_verified' as const, data })),
  fc.record({
    path: name.map((s) => `loras/${s}.safetensors`), folder: fc.constant('loras'), sizeBytes: fc.nat(), sha256: sha, alreadyPresent: fc.boolean(),
  }).map((data) => ({ type: 'download.placed' as const, data })),
  fc.constantFrom<DomainEvent>(
    { type: 'download.paused', data: { reason: 'user', message: null } },
    { type: 'download.resumed', data: {} },
    { type: 'download.cancelled', data: {} },
    { type: 'download.retried', data: {} },
    { type: 'download.failed', data: { code: 'NETWORK', message: 'reset', retryable: true } },
  ),
  fc.record({ value: fc.integer({ min: 1, max: 16 }) }).map((v) => ({ type: 'settings.changed' as const, data: { key: 'concurrency' as const, ...v } })),
);

export const history = fc.array(fc.tuple(fc.constantFrom('j1', 'j2', 'j3'), domainEvent), { maxLength: 60 });
