// How much a local client may make the daemon hold. A client that sends requests and never reads the answers used to
// grow the daemon without limit (3,000 `history` requests: 105 MB → 1.7 GB, kept after it left). Now the daemon
// reads a client's next request only while its earlier answers are mostly read, drops a client whose unread output
// passes a cap, and keeps a ceiling over all clients together.

export interface IpcLimits {
  /** Connections served at once; one more is told so and closed. */
  readonly maxConnections: number;
  /** A client's unread output above which its next request waits (its socket is not read meanwhile). */
  readonly pauseAboveBytes: number;
  /** A client's unread output above which it is dropped: it sent requests and does not read the answers. */
  readonly dropAboveBytes: number;
  /** Requests of one client answered at once; later ones wait in its socket. */
  readonly maxInFlightPerConnection: number;
  /** Requests of all clients answered at once. */
  readonly maxInFlight: number;
  /**
   * Unread output of all clients above which the client holding the most is dropped. (Not a pause for everyone:
   * one client that stops reading must not keep the others waiting.)
   */
  readonly globalDropAboveBytes: number;
  /** A request frame that has begun must end within this (a slowloris client holds a buffer forever otherwise). */
  readonly frameTimeoutMs: number;
}

const MiB = 1024 * 1024;

/**
 * One client can still receive the largest answer there is (a response frame of up to 64 MiB) on top of a full
 * pause budget; all of them together never hold more than the ceiling for long.
 */
export const DEFAULT_IPC_LIMITS: IpcLimits = {
  maxConnections: 128,
  pauseAboveBytes: 1 * MiB,
  dropAboveBytes: 66 * MiB,
  maxInFlightPerConnection: 4,
  maxInFlight: 16,
  globalDropAboveBytes: 192 * MiB,
  frameTimeoutMs: 30_000,
};

/** What every connection shares: the count of requests being answered and a view of all unread output. */
export interface SharedBudget {
  readonly limits: IpcLimits;
  inFlight: number;
  /** Unread output of all connections, in bytes. */
  bufferedBytes(): number;
  /** A request finished or a client read: connections that were waiting may go on. */
  wake(): void;
  /** The global ceiling is passed: drop the connection holding the most. */
  enforceCeiling(): void;
}

export interface IpcStats {
  readonly connections: number;
  readonly bufferedBytes: number;
  readonly inFlight: number;
}
