// The seam between a download and where it comes from. A source turns a reference into the facts of one file
// (`download.resolved`: its name, size, the identity its bytes must have, its metadata) and, while the file
// transfers, names the URL the bytes are at now. Everything after that (transfer, verify, route, place, sidecar,
// events) is one path whatever the source.
import type { ResultAsync, Result } from 'neverthrow';
import type { ModelRef } from '../civitai/refs.js';
import type { EventDataOf } from '../events/index.js';
import type { HfFileRef } from '../huggingface/refs.js';

export type ResolvedDownload = EventDataOf<'download.resolved'>;
export type CivitaiResolved = Extract<ResolvedDownload, { source: 'civitai' }>;
export type HuggingfaceResolved = Extract<ResolvedDownload, { source: 'huggingface' }>;
export type SourceName = ResolvedDownload['source'];

/** What a user asked for, once read: a CivitAI model, version or file, or a file in a Hugging Face repo. */
export type SourceRef =
  | { readonly source: 'civitai'; readonly ref: ModelRef }
  | { readonly source: 'huggingface'; readonly ref: HfFileRef };

/** A source's expected failure, in the shape the retry rules read (RATE_LIMITED, SERVER and NETWORK are transient). */
export interface SourceError {
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
}

/**
 * Why a reference cannot be downloaded: `NOT_FOUND` is the user's input (no such model, version, file, revision),
 * `FAILED` is everything else (access refused, the source down); the message says what to do.
 */
export interface ResolveFailure {
  readonly code: 'NOT_FOUND' | 'FAILED';
  readonly message: string;
}

export interface Source<Ref, Resolved extends ResolvedDownload> {
  resolve(ref: Ref): ResultAsync<Resolved, ResolveFailure>;
  /**
   * The URL the transfer engine fetches, which needs no credential: asked when a transfer starts and again whenever
   * the storage host refuses the last one (signed URLs expire).
   */
  storageUrl(resolved: Resolved): Promise<Result<{ url: string }, SourceError>>;
}

export interface Sources {
  readonly civitai: Source<ModelRef, CivitaiResolved>;
  readonly huggingface: Source<HfFileRef, HuggingfaceResolved>;
}

export function resolveWith(sources: Sources, ref: SourceRef): ResultAsync<ResolvedDownload, ResolveFailure> {
  return ref.source === 'civitai' ? sources.civitai.resolve(ref.ref) : sources.huggingface.resolve(ref.ref);
}

export function storageUrlOf(sources: Sources, resolved: ResolvedDownload): Promise<Result<{ url: string }, SourceError>> {
  return resolved.source === 'civitai' ? sources.civitai.storageUrl(resolved) : sources.huggingface.storageUrl(resolved);
}

/** What the downloaded bytes must hash to: the SHA-256 most sources give, or a git blob id; null when the source lists none. */
export type ExpectedIdentity = { readonly algorithm: 'sha256' | 'git-blob'; readonly value: string } | null;

export function expectedIdentity(resolved: ResolvedDownload): ExpectedIdentity {
  if (resolved.sha256 !== null) return { algorithm: 'sha256', value: resolved.sha256 };
  if (resolved.source === 'huggingface' && resolved.gitBlobId !== null) return { algorithm: 'git-blob', value: resolved.gitBlobId };
  return null;
}

/** The source's name for people: in messages about hashes and access. */
export function sourceLabel(source: SourceName): string {
  return source === 'civitai' ? 'CivitAI' : 'Hugging Face';
}
