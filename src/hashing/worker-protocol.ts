/** Messages between the hashing threads and their callers (both sides are ours, same build). */
export type WorkerRequest =
  /** Hash a whole file, for the pool. */
  | { op: 'hash-file'; path: string }
  /** Start an in-order hash of a file that is still being written. */
  | { op: 'track'; path: string }
  /** Bytes [0, to) of the tracked file are written: hash up to there. */
  | { op: 'advance'; to: number }
  /** The tracked file restarts from zero: forget what was hashed. */
  | { op: 'reset' }
  /** Hash up to `to` and answer with the digest. */
  | { op: 'digest'; to: number }
  /** Done with the tracked file (the thread waits for the next one). */
  | { op: 'untrack' };

export type WorkerReply =
  | { op: 'digest'; hex: string }
  | { op: 'failed'; code: string; message: string };
