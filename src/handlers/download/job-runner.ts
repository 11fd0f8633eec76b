import { stat, unlink } from 'node:fs/promises';
import { err, ok, type Result } from 'neverthrow';
import { isRetryable } from '../../civitai/retry.js';
import { join } from 'node:path';
import type { CivitaiClient } from '../../civitai/client.js';
import type { CivitaiError } from '../../civitai/errors.js';
import { foldJob, type JobFold } from '../../events/download.decider.js';
import type { DomainEvent } from '../../events/index.js';
import type { EventStore } from '../../store/event-store.js';
import { checkFreeSpace, transferFile, type TransferError } from '../../transfer/index.js';
import type { Log } from '../../daemon/log.js';
import { hashIfExists, placeFile, quarantineFile } from './place.js';
import { probeWithRetries } from './probe.js';
import { decideFileRoute, decisionFromEvent, destinationFor, modelPathOf, type RouterOptions } from './route-file.js';
import type { RouteDecision } from '../../routing/decide.js';
import { planFreshTransfer } from './plan.js';

export interface JobRunnerDeps {
  readonly store: EventStore;
  readonly client: CivitaiClient;
  readonly modelsDir: string;
  readonly stagingDir: string;
  readonly quarantineDir: string;
  readonly connections: () => number;
  readonly log: Log;
  readonly progress: (jobId: string, bytesDone: number, bytesTotal: number) => void;
  readonly router: RouterOptions;
  readonly writeSidecar: (modelPath: string, job: JobFold, decision: RouteDecision) => Promise<{ path: string; previewPath: string | null }>;
  /** Tunables of the transfer engine (tests make stalls and retries short). */
  readonly transferTuning?: { stallMs?: number; retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number }; durableEvery?: { bytes: number; ms: number } };
}

const streamOf = (jobId: string) => `download-${jobId}`;

/**
 * Carries one job as far as it can go: transfer → verify → route → place → sidecar, each step skipped when the
 * job's stream says it is done, so a restarted daemon resumes from the log alone. Every outcome is an event.
 */
export async function runJob(deps: JobRunnerDeps, jobId: string, signal: AbortSignal): Promise<void> {
  const { store, log } = deps;
  const streamId = streamOf(jobId);
  const load = (): JobFold => foldJob(store.readStream(streamId) as unknown as DomainEvent[]);
  const history = store.readStream(streamId);
  let seq = history.length;
  const append = (...events: DomainEvent[]): void => {
    // Ids derive from the stream position they were decided at: a crash-retried append is a no-op.
    const r = store.append([{ streamId, events: events.map((e, i) => ({ ...e, eventId: `${jobId}:${seq + i + 1}` })), metadata: { actor: 'daemon', correlationId: jobId } }]);
    if (r.isErr()) throw new Error(`cannot record ${events.map((e) => e.type).join(', ')} for job ${jobId}: ${r.error.message}`);
    seq = r.value.at(-1)?.streamPosition ?? seq;
  };
  const fail = (code: string, message: string, retryable: boolean) => append({ type: 'download.failed', data: { code, message, retryable } });

  let job = foldJob(history as unknown as DomainEvent[]);
  if (!job.resolved || !['queued', 'running', 'verifying'].includes(job.status)) return;
  const resolved = job.resolved;
  append({ type: 'download.attempt_started', data: { attempt: job.attempts + 1 } });
  const partPath = join(deps.stagingDir, `${jobId}.part`);

  // 1. Transfer.
  if (!job.transferredSha256) {
    let lastApiError: CivitaiError | undefined;
    const resolveUrl = async (): Promise<Result<{ url: string }, TransferError>> => {
      const r = await deps.client.resolveDownload(resolved.versionId, { fileId: resolved.fileId });
      if (r.isOk()) return ok({ url: r.value.url });
      lastApiError = r.error;
      // Status 0 marks "the API refused", so the job's error carries CivitAI's own code and advice.
      return err({ code: 'HTTP_STATUS', message: r.error.message, status: 0, retryable: isRetryable(r.error) });
    };
    let plan = job.plan;
    const partSize = await stat(partPath).then((s) => s.size, () => -1);
    if (!plan || partSize !== plan.totalBytes) {
      const remote = await probeWithRetries(resolveUrl, signal);
      if (signal.aborted) return;
      if (remote.isErr()) {
        const apiError = 'status' in remote.error && remote.error.status === 0 ? lastApiError : undefined;
        return fail(apiError?.code ?? remote.error.code, remote.error.message, remote.error.code !== 'HTML_RESPONSE');
      }
      // Before anything is planned or written: a file that cannot fit waits for space instead of failing.
      const space = await checkFreeSpace(deps.stagingDir, remote.value.totalBytes);
      if (space.isErr()) {
        if (space.error.code === 'DISK_FULL') return append({ type: 'download.paused', data: { reason: 'disk_full', message: space.error.message } });
        return fail(space.error.code, space.error.message, true);
      }
      const fresh = planFreshTransfer(jobId, remote.value, deps.connections());
      if (plan) append({ type: 'download.transfer_restarted', data: { reason: 'the partial file in the staging folder was missing or had the wrong size' } });
      append({ type: 'download.transfer_planned', data: fresh });
      job = load();
      plan = job.plan!;
    }
    const outcome = await transferFile(
      {
        partPath,
        totalBytes: plan.totalBytes,
        segments: plan.segments.map((s) => ({ ...s })),
        validator: { etag: plan.etag ?? undefined, lastModified: plan.lastModified ?? undefined },
        connections: deps.connections(),
        resolveUrl,
        signal,
        ...deps.transferTuning,
      },
      {
        onDurable: (c) => append({ type: 'download.chunk_written', data: { segment: c.segment, offset: c.offset, length: c.length } }),
        onProgress: (bytes) => deps.progress(jobId, bytes, plan.totalBytes),
        onRestart: ({ reason, segments }) =>
          append(
            { type: 'download.transfer_restarted', data: { reason } },
            { type: 'download.transfer_planned', data: { totalBytes: plan.totalBytes, segments: segments.map(({ index, start, end }) => ({ index, start, end })), etag: null, lastModified: null, partName: `${jobId}.part` } },
          ),
        onValidator: (v) => append({ type: 'download.validator_seen', data: { etag: v.etag ?? null, lastModified: v.lastModified ?? null } }),
      },
    );
    if (outcome.isErr()) {
      const e = outcome.error;
      if (e.code === 'ABORTED') {
        if (load().status === 'cancelled') await unlink(partPath).catch(() => undefined);
        return;
      }
      if (e.code === 'DISK_FULL') return append({ type: 'download.paused', data: { reason: 'disk_full', message: e.message } });
      const apiError = e.code === 'HTTP_STATUS' && e.status === 0 ? lastApiError : undefined;
      return fail(apiError?.code ?? e.code, e.message, 'retryable' in e ? e.retryable : e.code !== 'HTML_RESPONSE');
    }
    append({ type: 'download.transfer_completed', data: { sha256: outcome.value.sha256, bytes: plan.totalBytes } });
    job = load();
  }

  if (job.transferredSha256 && !job.route && (await stat(partPath).then(() => false, () => true))) {
    append({ type: 'download.transfer_restarted', data: { reason: 'the downloaded file vanished from the staging folder before it was placed' } });
    return fail('PART_MISSING', 'the downloaded file vanished from the staging folder before it was placed; run `comfyui-dl retry` to download it again', true);
  }

  // 2. Verify against CivitAI's hash; a mismatch never reaches the models folder.
  const actual = job.transferredSha256!;
  if (!job.verified && resolved.sha256 !== null) {
    if (actual !== resolved.sha256) {
      const quarantined = await quarantineFile(partPath, deps.quarantineDir, `${jobId}-${resolved.fileName.replace(/[/\\]/g, '_')}`);
      log(`job ${jobId}: hash mismatch (expected ${resolved.sha256}, got ${actual}); quarantined at ${quarantined}`);
      return append({ type: 'download.hash_mismatched', data: { expected: resolved.sha256, actual, quarantinePath: quarantined } });
    }
    append({ type: 'download.hash_verified', data: { sha256: actual } });
    job = load();
  }

  // 3. Route by the file's own header, once: the recorded decision is what a resumed job places by.
  if (!job.route) {
    const decided = await decideFileRoute(partPath, resolved);
    if (decided.isErr()) return fail(decided.error.code, decided.error.message, false);
    append({ type: 'routing.decided', data: decided.value });
    job = load();
  }
  const route = job.route!;
  const destinationResult = await destinationFor(deps.router, route, resolved);
  if (destinationResult.isErr()) return fail(destinationResult.error.code, destinationResult.error.message, false);
  const destination = destinationResult.value;

  // 4. Place (never over a different file), then the sidecar, then record both. A crash after the file was
  // linked into place but before it was recorded leaves no part file: the placed copy is recognised by its hash.
  const partGone = await stat(partPath).then(() => false, () => true);
  const placed = partGone && (await hashIfExists(destination)) === actual
    ? ok({ path: destination, alreadyPresent: true })
    : await placeFile(partPath, destination, actual);
  if (placed.isErr()) {
    if (placed.error.code === 'DISK_FULL') return append({ type: 'download.paused', data: { reason: 'disk_full', message: placed.error.message } });
    return fail(placed.error.code, placed.error.message, false);
  }
  const sidecar = await deps.writeSidecar(placed.value.path, job, decisionFromEvent(route)).catch((e: Error) => {
    log(`job ${jobId}: could not write the sidecar beside ${placed.value.path}: ${e.message}`);
    return null;
  });
  const folderPath = modelPathOf(deps.modelsDir, placed.value.path);
  const events: DomainEvent[] = [];
  if (sidecar) events.push({ type: 'sidecar.written', data: { path: modelPathOf(deps.modelsDir, sidecar.path), previewPath: sidecar.previewPath ? modelPathOf(deps.modelsDir, sidecar.previewPath) : null } });
  events.push({
    type: 'download.placed',
    data: { path: folderPath, folder: route.folder, sizeBytes: (await stat(placed.value.path)).size, sha256: actual, alreadyPresent: placed.value.alreadyPresent },
  });
  append(...events);
}
