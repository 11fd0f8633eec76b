// STORAGE FORMAT: these schemas describe rows already written to users' logs. Never change a shape in place:
// add a new version with an upcaster from the old one (see registry.ts), or a new event type.
import { z } from 'zod';
import { defineEvent } from './registry.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
const Id = z.number().int().positive();

export const DownloadParams = z.object({
  type: z.string().max(64).optional(),
  format: z.string().max(64).optional(),
  size: z.string().max(64).optional(),
  fp: z.string().max(64).optional(),
});
export type DownloadParams = z.infer<typeof DownloadParams>;

const requestedV1 = z.object({
  jobId: z.string().min(1).max(64),
  /** What the user typed, with any token stripped: shown by `history` and used for `retry`. */
  input: z.string().max(2048),
  modelId: Id.optional(),
  versionId: Id.optional(),
  fileId: Id.optional(),
  params: DownloadParams.optional(),
});

/** A place given with the request: a workflow's loader finds the file only as `<directory>/<name>`. */
export const PinnedTarget = z.object({
  /** ComfyUI's folder key (`loras`, `text_encoders`, a custom node's key). */
  directory: z.string().min(1).max(200),
  /** The name the loader asks for inside that folder, as ComfyUI normalises it (may hold subfolders). */
  name: z.string().min(1).max(1024),
});

export const HostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a host name');

const requestedV2 = requestedV1.extend({ target: PinnedTarget.optional() });

export const downloadRequested = defineEvent(
  'download.requested',
  /** `host`: the machine that downloads the file, in a log several hosts share; absent in a single host's log. */
  requestedV2.extend({ host: HostName.optional() }),
  {
    version: 3,
    past: {
      1: { schema: requestedV1, up: (d) => d },
      2: { schema: requestedV2, up: (d) => d },
    },
  },
);

const resolvedV1 = z.object({
  modelId: Id,
  versionId: Id,
  fileId: Id,
  fileName: z.string().min(1).max(1024),
  sizeBytes: z.number().int().nonnegative(),
  /** CivitAI's SHA-256, lowercased; null when CivitAI lists none (the file is then placed unverified and flagged). */
  sha256: Sha256.nullable(),
  modelName: z.string(),
  versionName: z.string(),
  modelType: z.string(),
  baseModel: z.string().nullable(),
  /** The model-version object as CivitAI returned it: sidecars carry it verbatim. */
  civitai: z.record(z.string(), z.unknown()),
});

/** The sources a file can come from (ARCHITECTURE.md §8). */
export const SOURCES = ['civitai', 'huggingface'] as const;
export type SourceName = (typeof SOURCES)[number];

export const civitaiResolved = resolvedV1.extend({ source: z.literal('civitai') });

export const huggingfaceResolved = z.object({
  source: z.literal('huggingface'),
  /** `owner/name`, as the hub names it now (a renamed repo's new name). */
  repo: z.string().min(1).max(200),
  /** The commit id the revision pointed at when resolved: every later request names it, so the bytes cannot change. */
  revision: z.string().regex(/^[0-9a-f]{40}$/, 'a commit id'),
  /** The revision as the reference named it (`main`, a tag, `refs/pr/1`, a commit id): updates follow it. */
  requestedRevision: z.string().min(1).max(256),
  /** The file's path inside the repo. */
  repoPath: z.string().min(1).max(1024),
  fileName: z.string().min(1).max(1024),
  sizeBytes: z.number().int().nonnegative(),
  /** The hub's SHA-256 of an LFS file; null for a small file kept in git itself, checked by `gitBlobId` and size. */
  sha256: Sha256.nullable(),
  gitBlobId: z.string().regex(/^[0-9a-f]{40}$/, 'a git blob id').nullable(),
  /** The file's `resolve` URL at the pinned commit, on the hub. */
  url: z.string().min(1).max(4096),
  /** The repo id, and the revision as named: what lists and notifications show. */
  modelName: z.string(),
  versionName: z.string(),
  /** The hub declares no model type: routing goes by the file's header alone. */
  modelType: z.null(),
  baseModel: z.string().nullable(),
  /** What the hub says about the repo (tags, pipeline, library, gated, private) and the commit that last changed the file. */
  huggingface: z.record(z.string(), z.unknown()),
});

/** What a download is, as its source described it when it was added: v2 names the source (v1 was CivitAI's only). */
export const downloadResolved = defineEvent(
  'download.resolved',
  z.discriminatedUnion('source', [civitaiResolved, huggingfaceResolved]),
  { version: 2, past: { 1: { schema: resolvedV1, up: (d) => ({ ...(d as object), source: 'civitai' }) } } },
);

export const downloadAttemptStarted = defineEvent(
  'download.attempt_started',
  z.object({ attempt: z.number().int().positive() }),
);

export const Segment = z.object({ index: z.number().int().nonnegative(), start: z.number().int().nonnegative(), end: z.number().int().nonnegative() });

const transferPlannedV1 = z.object({
  totalBytes: z.number().int().nonnegative(),
  segments: z.array(Segment).min(1),
  etag: z.string().max(512).nullable(),
  lastModified: z.string().max(128).nullable(),
  /** Where the bytes are staged, relative to the staging folder. */
  partName: z.string().min(1).max(300),
});

export const downloadTransferPlanned = defineEvent(
  'download.transfer_planned',
  transferPlannedV1.extend({
    /** The storage host answered a ranged request with the whole file: this job stays on one connection. */
    rangesIgnored: z.boolean(),
  }),
  { version: 2, past: { 1: { schema: transferPlannedV1, up: (d) => ({ ...(d as object), rangesIgnored: false }) } } },
);

/** The storage host's validator, when first seen or when it changed: later attempts send it as If-Range. */
export const downloadValidatorSeen = defineEvent(
  'download.validator_seen',
  z.object({ etag: z.string().max(512).nullable(), lastModified: z.string().max(128).nullable() }),
);

/** Appended only after these bytes were fdatasync'ed: the resume point is never ahead of the disk. */
export const downloadChunkWritten = defineEvent(
  'download.chunk_written',
  z.object({
    segment: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
    length: z.number().int().positive(),
  }),
);

/**
 * A connection that ran out of work took over the rest of a segment from `at`: segment `segment` now ends at `at`,
 * and `newSegment` covers [at, its old end). Recorded before any chunk of the new segment; no chunk of the old one
 * reaches past `at` after it.
 */
export const downloadSegmentSplit = defineEvent(
  'download.segment_split',
  z.object({
    segment: z.number().int().nonnegative(),
    at: z.number().int().positive(),
    newSegment: z.number().int().nonnegative(),
  }),
);

export const downloadTransferRestarted = defineEvent(
  'download.transfer_restarted',
  z.object({ reason: z.string().max(500) }),
);

export const downloadTransferCompleted = defineEvent(
  'download.transfer_completed',
  z.object({ sha256: Sha256, bytes: z.number().int().nonnegative() }),
);

export const downloadHashVerified = defineEvent('download.hash_verified', z.object({ sha256: Sha256 }));

const hashMismatchedV1 = z.object({ expected: Sha256, actual: Sha256, quarantinePath: z.string() });

/**
 * The bytes are not the ones the source lists. v2 says which identity was compared: the SHA-256 (CivitAI, the hub's
 * LFS files) or the git blob id (small files a Hugging Face repo keeps in git); v1 was always a SHA-256.
 */
export const downloadHashMismatched = defineEvent(
  'download.hash_mismatched',
  z.object({
    algorithm: z.enum(['sha256', 'git-blob']),
    expected: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a lowercase hex SHA-256 or git blob id'),
    actual: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a lowercase hex SHA-256 or git blob id'),
    quarantinePath: z.string(),
  }),
  { version: 2, past: { 1: { schema: hashMismatchedV1, up: (d) => ({ algorithm: 'sha256', ...(d as object) }) } } },
);

export const downloadPlaced = defineEvent(
  'download.placed',
  z.object({
    /** Relative to the models folder, forward slashes. */
    path: z.string().min(1),
    folder: z.string().min(1),
    sizeBytes: z.number().int().nonnegative(),
    sha256: Sha256,
    /** True when an identical file already sat there and was kept instead of written again. */
    alreadyPresent: z.boolean(),
  }),
);

/**
 * A transient failure (network, 5xx, 429, stall, storage host down, disk full in the data folder): the job waits
 * and starts again by itself at `nextAttemptAt`, resuming from its last durable chunk.
 */
export const downloadRetryScheduled = defineEvent(
  'download.retry_scheduled',
  z.object({
    /** Automatic retries in a row without progress, this one included. */
    retry: z.number().int().positive(),
    code: z.string().max(64),
    message: z.string().max(2000),
    delayMs: z.number().int().nonnegative(),
    nextAttemptAt: z.string().max(64),
    /** When this streak of failures began: the job gives up once it lasts too long. */
    failingSince: z.string().max(64),
  }),
);

/**
 * One request failed and is tried again after a pause: a segment's connection (dropped, stalled and reconnected,
 * or answered 5xx/429), or the probe of the storage URL before a transfer is planned (`segment` null).
 */
export const downloadConnectionRetried = defineEvent(
  'download.connection_retried',
  z.object({
    segment: z.number().int().nonnegative().nullable(),
    failure: z.enum(['network', 'stall', 'status', 'expired']),
    detail: z.string().max(1000),
    delayMs: z.number().int().nonnegative(),
  }),
);

/** The signed storage URL was asked for again: it had expired, or the storage host refused it. */
export const downloadUrlRefreshed = defineEvent('download.url_refreshed', z.object({ reason: z.string().max(500) }));

export const downloadPaused = defineEvent(
  'download.paused',
  z.object({ reason: z.enum(['user', 'disk_full']), message: z.string().max(2000).nullable() }),
);
export const downloadResumed = defineEvent('download.resumed', z.object({}));
export const downloadCancelled = defineEvent('download.cancelled', z.object({}));
export const downloadRetried = defineEvent('download.retried', z.object({}));

export const downloadFailed = defineEvent(
  'download.failed',
  z.object({ code: z.string().max(64), message: z.string().max(2000), retryable: z.boolean() }),
);

export const downloadEvents = [
  downloadRequested, downloadResolved, downloadAttemptStarted, downloadTransferPlanned, downloadValidatorSeen, downloadChunkWritten,
  downloadSegmentSplit,  downloadTransferRestarted, downloadTransferCompleted, downloadHashVerified, downloadHashMismatched, downloadPlaced,
  downloadPaused, downloadResumed, downloadCancelled, downloadRetried, downloadFailed, downloadRetryScheduled,
  downloadConnectionRetried, downloadUrlRefreshed,
] as const;
