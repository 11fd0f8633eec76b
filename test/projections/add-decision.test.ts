import { describe, expect, it } from 'vitest';
import { decideAdd, type AddedFile, type AddViews } from '../../src/projections/add-decision.js';
import type { CatalogRow } from '../../src/projections/catalog.projection.js';
import type { JobRow } from '../../src/projections/queue.projection.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const BLOB = '1'.repeat(40);
const OTHER_BLOB = '2'.repeat(40);

let seq = 0;
const job = (over: Partial<JobRow>): JobRow => ({
  id: `j${++seq}`, seq, state: 'completed', input: '', model_id: 1, version_id: 7, file_id: 70, file_name: 'a.safetensors', model_name: 'M',
  version_name: 'v1', model_type: 'LORA', base_model: null, expected_sha256: A, sha256: A, path: 'loras/a.safetensors', bytes_done: 10,
  bytes_total: 10, attempts: 1, next_attempt_at: null, transferred: 1, error: null, error_code: null, folder: 'loras', routing_reason: null,
  flagged: null, created_at: '', updated_at: '', source: 'civitai', repo: null, revision: null, repo_path: null, git_blob_id: null, host: null, ...over,
});
const row = (path: string, sha256: string, over: Partial<CatalogRow> = {}): CatalogRow => ({
  entry: path, host: null, path, folder: 'loras', sha256, size_bytes: 10, model_id: null, version_id: null, model_name: null, version_name: null, type: null,
  base_model: null, origin: 'download', routing_reason: null, flagged: null, job_id: null, placed_at: '', missing: 0, found_sha256: null,
  source: null, repo: null, revision: null, repo_path: null, ...over,
});
const views = (over: Partial<AddViews>): AddViews => ({ jobs: [], catalog: [], identities: [], ...over });

const civitai: AddedFile = { source: 'civitai', versionId: 7, fileId: 70, sha256: A };
const hf = (over: Partial<Extract<AddedFile, { source: 'huggingface' }>> = {}): AddedFile =>
  ({ source: 'huggingface', repo: 'o/r', repoPath: 'x/a.safetensors', sha256: A, gitBlobId: null, ...over });
const hfJob = (over: Partial<JobRow>) =>
  job({ source: 'huggingface', model_id: null, version_id: null, file_id: null, repo: 'o/r', repo_path: 'x/a.safetensors', revision: 'f'.repeat(40), ...over });

describe('decideAdd', () => {
  it('follows a job that is still queued, running, waiting or paused, whatever bytes it expects', () => {
    for (const state of ['queued', 'resolving', 'downloading', 'waiting', 'paused', 'verifying'] as const) {
      const running = job({ state, expected_sha256: B, sha256: null, path: null });
      expect(decideAdd(views({ jobs: [running] }), civitai)).toEqual({ kind: 'running', jobId: running.id });
    }
  });

  it('says a file on disk is there: placed by a download (with its job), or found by a scan (no job)', () => {
    const done = job({});
    expect(decideAdd(views({ jobs: [done], catalog: [row('loras/a.safetensors', A, { job_id: done.id })] }), civitai))
      .toEqual({ kind: 'present', jobId: done.id, path: 'loras/a.safetensors', sha256: A });
    expect(decideAdd(views({ catalog: [row('mine/a.safetensors', A, { origin: 'scan' })], identities: [{ sha256: A, version_id: 7, known: 1 }] }), civitai))
      .toEqual({ kind: 'present', jobId: null, path: 'mine/a.safetensors', sha256: A });
  });

  it('repairs a copy that is missing or changed with a new job', () => {
    const done = job({});
    expect(decideAdd(views({ jobs: [done], catalog: [row('loras/a.safetensors', A, { missing: 1 })] }), civitai)).toEqual({ kind: 'new', repair: true });
    expect(decideAdd(views({ jobs: [done], catalog: [row('loras/a.safetensors', A, { found_sha256: C })] }), civitai)).toEqual({ kind: 'new', repair: true });
    // A scan catalogued other bytes where the download was placed.
    expect(decideAdd(views({ jobs: [done], catalog: [row('loras/a.safetensors', C, { origin: 'scan' })] }), civitai)).toEqual({ kind: 'new', repair: true });
    expect(decideAdd(views({ jobs: [done] }), civitai)).toEqual({ kind: 'new', repair: true });
  });

  it('retries the newest job for the same bytes when it failed or was cancelled', () => {
    for (const state of ['failed', 'cancelled'] as const) {
      const older = job({ state: 'failed', path: null });
      const stopped = job({ state, sha256: null, path: null });
      expect(decideAdd(views({ jobs: [stopped, older] }), civitai)).toEqual({ kind: 'retry', jobId: stopped.id });
    }
    // A failed repair of a file that went missing is retried too.
    const placed = job({});
    const failed = job({ state: 'failed', path: null, sha256: null });
    expect(decideAdd(views({ jobs: [placed, failed], catalog: [row('loras/a.safetensors', A, { missing: 1 })] }), civitai)).toEqual({ kind: 'retry', jobId: failed.id });
  });

  it('starts a new job when the source now lists other bytes (a re-uploaded file), even beside a failed job for the old ones', () => {
    const failed = job({ state: 'failed', expected_sha256: B, sha256: null, path: null });
    expect(decideAdd(views({ jobs: [failed] }), civitai)).toEqual({ kind: 'new', repair: false });
    const old = job({ expected_sha256: B, sha256: B });
    expect(decideAdd(views({ jobs: [old], catalog: [row('loras/a.safetensors', B, { version_id: 7 })] }), civitai)).toEqual({ kind: 'new', repair: false });
  });

  it('starts a new job for another file of a version that is there, and for a file never seen', () => {
    expect(decideAdd(views({ catalog: [row('loras/fp16.safetensors', B, { version_id: 7 })] }), civitai)).toEqual({ kind: 'new', repair: false });
    expect(decideAdd(views({}), civitai)).toEqual({ kind: 'new', repair: false });
  });

  it('knows a CivitAI file without a listed hash by its version', () => {
    const noHash: AddedFile = { ...civitai, sha256: null } as AddedFile;
    expect(decideAdd(views({ catalog: [row('loras/a.safetensors', A, { version_id: 7 })] }), noHash)).toMatchObject({ kind: 'present', path: 'loras/a.safetensors' });
  });

  it('tells Hugging Face files by repo and path, and their bytes by SHA-256 or git blob id', () => {
    const lfs = hfJob({});
    expect(decideAdd(views({ jobs: [lfs], catalog: [row('unet/a.safetensors', A)] }), hf())).toMatchObject({ kind: 'present', jobId: lfs.id });
    expect(decideAdd(views({ jobs: [lfs] }), hf({ repoPath: 'y/a.safetensors' }))).toEqual({ kind: 'new', repair: false });
    // A newer commit changed the file: other bytes, a new job beside the old one.
    expect(decideAdd(views({ jobs: [lfs], catalog: [row('unet/a.safetensors', A)] }), hf({ sha256: B }))).toEqual({ kind: 'new', repair: false });

    const small = hfJob({ expected_sha256: null, git_blob_id: BLOB, sha256: C, path: 'embeddings/a.safetensors' });
    const smallFile = hf({ sha256: null, gitBlobId: BLOB });
    expect(decideAdd(views({ jobs: [small], catalog: [row('embeddings/a.safetensors', C)] }), smallFile)).toMatchObject({ kind: 'present', jobId: small.id });
    expect(decideAdd(views({ jobs: [small] }), smallFile)).toEqual({ kind: 'new', repair: true });
    expect(decideAdd(views({ jobs: [small], catalog: [row('embeddings/a.safetensors', C)] }), hf({ sha256: null, gitBlobId: OTHER_BLOB }))).toEqual({ kind: 'new', repair: false });
    const failedSmall = hfJob({ state: 'failed', expected_sha256: null, git_blob_id: BLOB, sha256: null, path: null });
    expect(decideAdd(views({ jobs: [failedSmall] }), smallFile)).toEqual({ kind: 'retry', jobId: failedSmall.id });
  });
});
