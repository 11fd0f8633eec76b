import { describe, it } from 'vitest';
import { decideJob, evolveJob, initialJob, type JobCommand } from '../../src/events/download.decider.js';
import type { DomainEvent } from '../../src/events/index.js';
import { deciderSpec } from '../support/decider-spec.js';

const spec = deciderSpec({ initial: initialJob, evolve: evolveJob, decide: (s, c: JobCommand) => decideJob(s, c, 'j1') });

const requested: DomainEvent = { type: 'download.requested', data: { jobId: 'j1', input: 'https://civitai.com/models/1' } };
const resolved: DomainEvent = {
  type: 'download.resolved',
  data: {
    modelId: 1, versionId: 2, fileId: 3, fileName: 'a.safetensors', sizeBytes: 10, sha256: 'a'.repeat(64),
    modelName: 'A', versionName: 'v1', modelType: 'LORA', baseModel: 'SDXL 1.0', civitai: {},
  },
};
const queued = [requested, resolved];
const running: DomainEvent[] = [...queued, { type: 'download.attempt_started', data: { attempt: 1 } }];
const paused: DomainEvent[] = [...running, { type: 'download.paused', data: { reason: 'user', message: null } }];
const failed: DomainEvent[] = [...running, { type: 'download.failed', data: { code: 'HTTP_STATUS', message: '404', retryable: false } }];
const cancelled: DomainEvent[] = [...queued, { type: 'download.cancelled', data: {} }];
const completed: DomainEvent[] = [...running, { type: 'download.placed', data: { path: 'loras/a.safetensors', folder: 'loras', sizeBytes: 10, sha256: 'a'.repeat(64), alreadyPresent: false } }];

describe('download decider', () => {
  describe('request', () => {
    const request = { type: 'request', requested: requested.data, resolved: resolved.data } as JobCommand;
    it('starts a job', () => spec.given([]).when(request).then(queued));
    it('is idempotent', () => spec.given([]).when(request).thenIdempotent());
    it('does nothing for a job that exists', () => spec.given(running).when(request).thenNothing());
  });
  describe('pause', () => {
    it('pauses a running job', () => spec.given(running).when({ type: 'pause' }).then([{ type: 'download.paused', data: { reason: 'user', message: null } }]));
    it('is idempotent', () => spec.given(queued).when({ type: 'pause' }).thenIdempotent());
    it('refuses a completed job', () => spec.given(completed).when({ type: 'pause' }).thenFails('INVALID_STATE'));
    it('refuses an unknown job', () => spec.given([]).when({ type: 'pause' }).thenFails('NOT_FOUND'));
  });
  describe('resume', () => {
    it('resumes a paused job', () => spec.given(paused).when({ type: 'resume' }).then([{ type: 'download.resumed', data: {} }]));
    it('is idempotent', () => spec.given(paused).when({ type: 'resume' }).thenIdempotent());
    it('points a failed job to retry', () => spec.given(failed).when({ type: 'resume' }).thenFails('INVALID_STATE'));
  });
  describe('cancel', () => {
    it('cancels a paused job', () => spec.given(paused).when({ type: 'cancel' }).then([{ type: 'download.cancelled', data: {} }]));
    it('is idempotent', () => spec.given(running).when({ type: 'cancel' }).thenIdempotent());
    it('refuses a completed job', () => spec.given(completed).when({ type: 'cancel' }).thenFails('INVALID_STATE'));
  });
  describe('retry', () => {
    it('retries a failed job', () => spec.given(failed).when({ type: 'retry' }).then([{ type: 'download.retried', data: {} }]));
    it('retries a cancelled job', () => spec.given(cancelled).when({ type: 'retry' }).then([{ type: 'download.retried', data: {} }]));
    it('is idempotent', () => spec.given(failed).when({ type: 'retry' }).thenIdempotent());
    it('does nothing for a job still running', () => spec.given(running).when({ type: 'retry' }).thenNothing());
    it('refuses a completed job', () => spec.given(completed).when({ type: 'retry' }).thenFails('INVALID_STATE'));
  });
});
