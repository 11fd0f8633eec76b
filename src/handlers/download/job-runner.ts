import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import type { Log } from '../../lib/log.js';
import {
  DEFAULT_RETRY_SCHEDULE, decideRunner, jobStream, type JobFold, type RetrySchedule, type RunnerCommand,
} from '../../events/download.decider.js';
import type { DomainEvent } from '../../events/index.js';
import type { AppendError } from '../../store/event-store.js';
import type { StreamCommands } from '../../store/stream-commands.js';
import { checkFreeSpace, retryPolicySchema, transferFile, type ConnectionBudget } from '../../transfer/index.js';
import type { RouteDecision } from '../../routing/decide.js';
import { gitBlobIdOfFile } from '../../huggingface/git-blob.js';
import { expectedIdentity, sourceLabel, storageUrlOf, type SourceError, type Sources } from '../../sources/source.js';
import { verdictOf, type DownloadFailure } from './failure.js';
import { clearQuarantine, hashIfExists, placeFile, quarantineFile } from './place.js';
import { planFreshTransfer } from './plan.js';
import type { Release, TransferSlots } from './slots.js';
import { probeFresh } from './probe.js';
import { decideFileRoute, decisionFromEvent, destinationFor, modelPathOf, type RouterOptions } from './route-file.js';

export interface JobRunnerDeps {
  readonly commands: StreamCommands;
  /** Where each job's bytes are: the storage URL its source names now. */
  readonly sources: Sources;
  readonly modelsDir: string;
  readonly stagingDir: string;
  readonly quarantineDir: string;
  readonly connections: () => Promise<number>;
  /** Shared by every job of the daemon. */
  readonly connectionBudget?: ConnectionBudget;
  /** Held while the job moves bytes; without it, a job transfers as soon as it runs. */
  readonly transferSlots?: TransferSlots;
  readonly log: Log;
  readonly progress: (jobId: string, bytesDone: number, bytesTotal: number) => void;
  readonly router: RouterOptions;
  readonly writeSidecar: (modelPath: string, job: JobFold, decision: RouteDecision) => Promise<{ path: string; previewPath: string | null }>;
  /** Tunables of the transfer engine (tests make stalls and retries short). */
  readonly transferTuning?: { stallMs?: number; retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number }; durableEvery?: { bytes: number; ms: number } };
  /** Automatic retries of a job that failed for a transient reason. */
  readonly retrySchedule?: RetrySchedule;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/**
 * How a run ended: `stopped` when the job reached a state the runner does not own (done, waiting, paused, failed,
 * cancelled), `storage` when the log refused a write: nothing about the job changed, and the scheduler backs off.
 */
export type RunOutcome = { readonly kind: 'stopped' } | { readonly kind: 'storage'; readonly error: AppendError };

const OWNED = new Set(['resolving', 'downloading', 'verifying']);
const owns = (job: JobFold): boolean => OWNED.has(job.status);
const stopped: RunOutcome = { kind: 'stopped' };

type Step = Result<JobFold, RunOutcome>;

/**
 * Carries one job as far as it can go: transfer → verify → route → place → sidecar, each step skipped when the
 * job's stream says it is done, so a restarted daemon resumes from the log alone. Every write goes through the
 * command path: when a user paused or cancelled in between, the runner's decision comes back empty and it stops.
 */
export async function runJob(deps: JobRunnerDeps, jobId: string, signal: AbortSignal): Promise<RunOutcome> {
  const streamId = `download-${jobId}`;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const schedule = deps.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  const partPath = join(deps.stagingDir, `${jobId}.part`);

  // Writes leave in the order they were made, one at a time: the transfer's callbacks fire without waiting.
  let queue: Promise<unknown> = Promise.resolve();
  let storageFailure: AppendError | undefined;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });

  const act = (command: RunnerCommand): Promise<Step> => {
    const next = queue.then(async (): Promise<Step> => {
      if (storageFailure) return err({ kind: 'storage', error: storageFailure });
      const r = await deps.commands.run(streamId, jobStream, (s) => decideRunner(s, command), { actor: 'daemon', correlationId: jobId });
      if (r.isOk()) return ok(r.value.state);
      if (r.error.kind === 'rejected') return err(stopped);
      storageFailure = r.error.error;
      stop.abort();
      return err({ kind: 'storage', error: r.error.error });
    });
    queue = next;
    return next;
  };
  const record = (...events: DomainEvent[]) => act({ type: 'record', events });
  const fail = async (failure: DownloadFailure): Promise<RunOutcome> => {
    const verdict = verdictOf(failure);
    if (verdict === 'stopped') return stopped;
    const step = verdict === 'disk_full'
      ? await act({ type: 'pause_for_disk', message: failure.error.message })
      : await act({
          type: 'fail', code: failure.error.code, message: failure.error.message, kind: verdict,
          now: now().toISOString(), random: random(), schedule,
        });
    return step.isErr() ? step.error : stopped;
  };

  try {
    const started = await act({ type: 'start', now: now().toISOString() });
    if (started.isErr()) return started.error;
    let job = started.value;
    const resolved = job.resolved!;

    // 1. Transfer.
    if (!job.transferredSha256) {
      let apiError: SourceError | undefined;
      const resolveUrl = async (): Promise<Result<{ url: string }, SourceError>> => {
        const r = await storageUrlOf(deps.sources, resolved);
        if (r.isErr()) apiError = r.error;
        return r;
      };
      const urlRefreshed = (reason: string): void => void record({ type: 'download.url_refreshed', data: { reason } });
      const partSize = await stat(partPath).then((s) => s.size, () => -1);
      // A transfer slot is taken once the probe is done and held until the bytes are in: the plan is recorded (and
      // the job shows as downloading) only when its bytes can move.
      const takeSlot = async (): Promise<Release | undefined> => (deps.transferSlots ? deps.transferSlots.acquire(stop.signal) : () => undefined);
      const halted = (): RunOutcome => (storageFailure ? { kind: 'storage', error: storageFailure } : stopped);
      let release: Release | undefined;
      if (!job.plan || partSize !== job.plan.totalBytes) {
        const remote = await probeFresh(resolveUrl, stop.signal, retryPolicySchema.parse(deps.transferTuning?.retry ?? {}), {
          onRefresh: urlRefreshed,
          onRetry: (r) => void record({ type: 'download.connection_retried', data: { segment: null, ...r, detail: r.detail.slice(0, 1000) } }),
        });
        if (stop.signal.aborted) return storageFailure ? { kind: 'storage', error: storageFailure } : stopped;
        if (remote.isErr()) {
          return fail(apiError && remote.error === apiError ? { source: 'api', error: apiError } : { source: 'probe', error: remote.error as Exclude<typeof remote.error, SourceError> });
        }
        // Before anything is planned or written: a file that cannot fit waits for space instead of failing.
        const space = await checkFreeSpace(deps.stagingDir, remote.value.totalBytes);
        if (space.isErr()) return fail({ source: 'transfer', error: space.error });
        release = await takeSlot();
        if (release === undefined) return halted();
        const fresh = planFreshTransfer(jobId, { ...remote.value, acceptsRanges: remote.value.acceptsRanges && !job.rangesIgnored }, await deps.connections());
        const planned = await record(
          ...(job.plan ? [{ type: 'download.transfer_restarted' as const, data: { reason: 'the partial file in the staging folder was missing or had the wrong size' } }] : []),
          { type: 'download.transfer_planned', data: fresh },
        );
        if (planned.isErr() || !owns(planned.value)) {
          release();
          return planned.isErr() ? planned.error : stopped;
        }
        job = planned.value;
      }
      const plan = job.plan!;
      release ??= await takeSlot();
      if (release === undefined) return halted();
      const outcome = await transferFile(
        {
          partPath,
          totalBytes: plan.totalBytes,
          segments: plan.segments.map((s) => ({ ...s })),
          validator: { etag: plan.etag ?? undefined, lastModified: plan.lastModified ?? undefined },
          connections: await deps.connections(),
          budget: deps.connectionBudget,
          resolveUrl,
          signal: stop.signal,
          ...deps.transferTuning,
        },
        {
          onDurable: (c) => void record({ type: 'download.chunk_written', data: { segment: c.segment, offset: c.offset, length: c.length } }),
          onSplit: (split) => void record({ type: 'download.segment_split', data: { ...split } }),
          onProgress: (bytes) => deps.progress(jobId, bytes, plan.totalBytes),
          onRestart: ({ reason, segments, rangesIgnored }) =>
            void record(
              { type: 'download.transfer_restarted', data: { reason } },
              {
                type: 'download.transfer_planned',
                data: {
                  totalBytes: plan.totalBytes, segments: segments.map(({ index, start, end }) => ({ index, start, end })),
                  etag: null, lastModified: null, partName: `${jobId}.part`, rangesIgnored: rangesIgnored || job.rangesIgnored,
                },
              },
            ),
          onValidator: (v) => void record({ type: 'download.validator_seen', data: { etag: v.etag ?? null, lastModified: v.lastModified ?? null } }),
          onRetry: (r) => void record({ type: 'download.connection_retried', data: { ...r, detail: r.detail.slice(0, 1000) } }),
          onUrlRefreshed: urlRefreshed,
        },
      ).finally(release);
      // Every chunk the transfer reported is recorded (or refused) before anything is decided from the outcome.
      await queue;
      if (storageFailure) return { kind: 'storage', error: storageFailure };
      if (outcome.isErr()) {
        const e = outcome.error;
        if ('code' in e && e.code === 'ABORTED') {
          if ((await deps.commands.state(streamId, jobStream)).status === 'cancelled') await unlink(partPath).catch(() => undefined);
          return stopped;
        }
        return fail(apiError && e === apiError ? { source: 'api', error: apiError } : { source: 'transfer', error: e as Exclude<typeof e, SourceError> });
      }
      const completed = await record({ type: 'download.transfer_completed', data: { sha256: outcome.value.sha256, bytes: plan.totalBytes } });
      if (completed.isErr()) return completed.error;
      job = completed.value;
      if (!owns(job)) return stopped;
    }

    if (!job.route && (await stat(partPath).then(() => false, () => true))) {
      const restarted = await record({ type: 'download.transfer_restarted', data: { reason: 'the downloaded file vanished from the staging folder before it was placed' } });
      if (restarted.isErr()) return restarted.error;
      return fail({ source: 'transfer', error: { code: 'NETWORK', message: 'the downloaded file vanished from the staging folder before it was placed; it will be downloaded again' } });
    }

    // 2. Verify against the identity the source gave (its SHA-256, or a small file's git blob id); a mismatch never
    // reaches the models folder.
    const actual = job.transferredSha256!;
    const expected = expectedIdentity(resolved);
    if (!job.verified && expected !== null) {
      const found = expected.algorithm === 'sha256' ? actual : await gitBlobIdOfFile(partPath);
      if (found !== expected.value) {
        const quarantined = await quarantineFile(partPath, deps.quarantineDir, jobId, resolved.fileName);
        deps.log(`job ${jobId}: hash mismatch (${sourceLabel(resolved.source)} lists ${expected.algorithm} ${expected.value}, got ${found}); quarantined at ${quarantined}`);
        const mismatched = await record({ type: 'download.hash_mismatched', data: { algorithm: expected.algorithm, expected: expected.value, actual: found, quarantinePath: quarantined } });
        return mismatched.isErr() ? mismatched.error : stopped;
      }
      const verified = await record({ type: 'download.hash_verified', data: { sha256: actual } });
      if (verified.isErr()) return verified.error;
      job = verified.value;
      if (!owns(job)) return stopped;
    }

    // 3. Route by the file's own header, once: the recorded decision is what a resumed job places by. From here
    // on the job cannot be paused or cancelled: it is placed in a moment.
    if (!job.route) {
      const decided = await decideFileRoute(partPath, resolved);
      if (decided.isErr()) return permanent(decided.error.code, decided.error.message);
      const routed = await act({ type: 'advance', events: [{ type: 'routing.decided', data: decided.value }] });
      if (routed.isErr()) return routed.error;
      job = routed.value;
      if (!job.route || !owns(job)) return stopped;
    }
    const route = job.route;
    const destination = await destinationFor(deps.router, route, resolved, job.target);
    if (destination.isErr()) return permanent(destination.error.code, destination.error.message);
    if (job.target && destination.value.folder !== route.folder) {
      deps.log(`job ${jobId}: the header says ${route.folder} (${route.reason}); placed in ${job.target.directory}/ as requested, where the workflow's loader looks`);
    }

    // 4. Place (never over a different file), then the sidecar, then record both. A crash after the file was
    // linked into place but before it was recorded leaves no part file: the placed copy is recognised by its hash.
    // A pinned name is the only one its loader finds: it is never moved aside to another name.
    const partGone = await stat(partPath).then(() => false, () => true);
    const placed = partGone && (await hashIfExists(destination.value.path)) === actual
      ? ok({ path: destination.value.path, alreadyPresent: true })
      : await placeFile(partPath, destination.value.path, actual, { exactName: job.target !== null });
    if (placed.isErr()) {
      if (placed.error.code === 'DISK_FULL') return pauseForDisk(placed.error.message);
      return permanent(placed.error.code, placed.error.message);
    }
    const sidecar = await deps.writeSidecar(placed.value.path, job, decisionFromEvent(route)).catch((e: Error) => {
      deps.log(`job ${jobId}: could not write the sidecar beside ${placed.value.path}: ${e.message}`);
      return null;
    });
    const events: DomainEvent[] = [];
    if (sidecar) {
      events.push({ type: 'sidecar.written', data: { path: modelPathOf(deps.modelsDir, sidecar.path), previewPath: sidecar.previewPath ? modelPathOf(deps.modelsDir, sidecar.previewPath) : null } });
    }
    events.push({
      type: 'download.placed',
      data: { path: modelPathOf(deps.modelsDir, placed.value.path), folder: destination.value.folder, sizeBytes: (await stat(placed.value.path)).size, sha256: actual, alreadyPresent: placed.value.alreadyPresent },
    });
    const done = await act({ type: 'advance', events });
    if (done.isErr()) return done.error;
    await clearQuarantine(deps.quarantineDir, jobId);
    return stopped;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await queue.catch(() => undefined);
  }

  async function permanent(code: string, message: string): Promise<RunOutcome> {
    const step = await act({ type: 'fail', code, message, kind: 'permanent', now: now().toISOString(), random: random(), schedule });
    return step.isErr() ? step.error : stopped;
  }

  async function pauseForDisk(message: string): Promise<RunOutcome> {
    const step = await act({ type: 'pause_for_disk', message });
    return step.isErr() ? step.error : stopped;
  }
}
