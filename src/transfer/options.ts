import { z } from 'zod';
import { retryPolicySchema } from './retry.js';
import { segmentSchema } from './segments.js';

const MiB = 1024 * 1024;

export const validatorSchema = z.object({
  etag: z.string().optional(),
  lastModified: z.string().optional(),
});
export type Validator = z.infer<typeof validatorSchema>;

/** The data part of a transfer plan (the URL resolver and the abort signal travel beside it). */
export const transferOptionsSchema = z.object({
  partPath: z.string().min(1),
  totalBytes: z.number().int().nonnegative(),
  /** From planSegments, or rebuilt from the durable chunks recorded so far. */
  segments: z.array(segmentSchema).min(1),
  /** ETag / Last-Modified seen by a previous attempt: sent as If-Range so changed bytes are never mixed in. */
  validator: validatorSchema.optional(),
  /** The most connections this download opens; it starts with `initialConnections` and opens more while they pay. */
  connections: z.number().int().min(1).max(16).default(4),
  initialConnections: z.number().int().min(1).max(16).default(4),
  /** A connection that ran out of work takes over half of the largest segment left, if both halves are this big. */
  minSplitBytes: z.number().int().min(1).default(2 * MiB),
  /** Used when a restart lays the file out again. */
  minSegmentBytes: z.number().int().min(1).default(16 * MiB),
  durableEvery: z
    .object({ bytes: z.number().int().min(1), ms: z.number().int().min(1) })
    .default({ bytes: 16 * MiB, ms: 1000 }),
  /** No body byte for this long (once the headers came) drops the connection and resumes it. */
  stallMs: z.number().int().min(10).default(30_000),
  /** How long a server may think before its response headers: slow origins answer a cold file late. */
  headersTimeoutMs: z.number().int().min(10).default(300_000),
  minBytesPerSecond: z.number().positive().optional(),
  retry: retryPolicySchema.default({ maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 }),
  /** Restarts from zero (remote changed, Range ignored) tolerated before REMOTE_CHANGED. */
  maxRestarts: z.number().int().nonnegative().default(3),
  /** Socket chunks are gathered into writes of this size: fewer, larger writes cost less CPU. */
  writeBytes: z.number().int().min(1).default(4 * MiB),
});
export type TransferOptions = z.output<typeof transferOptionsSchema>;
export type TransferOptionsInput = z.input<typeof transferOptionsSchema>;
