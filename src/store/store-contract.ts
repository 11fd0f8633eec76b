// What every log offers, whichever database stands behind it: the SQLite and PostgreSQL stores both implement it,
// and the code they share (append-common.ts) speaks it without depending on either.
import type { Result } from 'neverthrow';
import type { Subject } from 'rxjs';
import type { EventMetadata, NewEvent, StoredEvent } from '../events/envelope.js';

/** `'any'` skips the concurrency check; a number is the stream position the caller last saw (0 = new stream). */
export type ExpectedVersion = number | 'any';

export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedVersion?: ExpectedVersion;
  readonly metadata: EventMetadata;
}

export type AppendError =
  | { readonly code: 'CONFLICT'; readonly message: string; readonly streamId: string; readonly expected: number; readonly actual: number }
  | { readonly code: 'INVALID_EVENT'; readonly message: string }
  /** The database refused the write (disk full, busy, I/O): `errno` is SQLite's code, such as SQLITE_FULL. */
  | { readonly code: 'STORAGE'; readonly message: string; readonly errno: string | null };

export interface ReadFilter {
  readonly streamId?: string;
  readonly category?: string;
  /** Any of these categories. */
  readonly categories?: readonly string[];
  readonly types?: readonly string[];
  readonly excludeTypes?: readonly string[];
}

/**
 * The log, as every part of the daemon sees it. Asynchronous so that a server database can stand behind it; the
 * SQLite implementation does its work synchronously inside each call, so nothing interleaves with an append.
 */
export interface EventStore {
  /** Appends to several streams in one transaction; projections fold inside it. All or nothing. */
  append(requests: readonly AppendRequest[]): Promise<Result<StoredEvent[], AppendError>>;
  /** Oldest first; with `before`, the `limit` newest events below that position (keyset paging backwards). */
  readAll(options: { after: number; before?: number; limit: number } & ReadFilter): Promise<StoredEvent[]>;
  /** A stream's events after stream position `after` (0: the whole stream), in order. */
  readStream(streamId: string, after?: number): Promise<StoredEvent[]>;
  head(): Promise<number>;
  /** Every committed batch, after COMMIT, in commit order. */
  readonly commits$: Subject<readonly StoredEvent[]>;
  /** Empties every view and folds the whole log again; never runs a side effect. */
  replay(options?: { pageSize?: number }): Promise<{ events: number; views: number; ms: number }>;
  /** Brings views whose checkpoint is behind (or of another version) up to date: run once at start. */
  catchUpProjections(): Promise<void>;
  /** Stops following other writers (a server database); the database itself is closed by whoever opened it. */
  close(): Promise<void>;
}
