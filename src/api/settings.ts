import type { ConfigReport } from '../ipc/protocol.js';

/** What the daemon runs with, once flags, environment, config file and defaults are resolved. */
export interface DaemonSettings {
  /** The same settings as `config show` reports them: each value and where it came from. */
  readonly report: ConfigReport;
  readonly modelsDir: string;
  readonly dataDir: string;
  readonly socket: string;
  readonly civitaiUrl: string;
  readonly concurrency: number;
  readonly connections: number;
  /** Connections of all downloads together beyond each one's first. */
  readonly totalConnections: number;
  readonly updateIntervalSeconds: number;
  /** Read through a function so the key is never a plain property that a log or an event could serialise. */
  readonly apiKey: () => string | undefined;
  /** The Hugging Face Hub (HF_ENDPOINT) and the token sent to it alone (HF_TOKEN), read the same way. */
  readonly hfEndpoint: string;
  readonly hfToken: () => string | undefined;
  /** PostgreSQL holds the log when set (its password inside, hence a function); SQLite in the data folder when not. */
  readonly databaseUrl: () => string | undefined;
  /** This machine's name among the hosts that share the log: the daemon runs the jobs queued for it. */
  readonly host: string;
  /** Highest CivitAI NSFW level a preview image may have (1 PG, 2 PG-13, 4 R, 8 X). */
  readonly previewMaxNsfwLevel: number;
  readonly pathTemplate: string;
  readonly extraModelPaths: string | null;
  readonly defaultRoot: string | null;
  readonly earlyAccessUpdates: boolean;
  readonly sameBaseModelUpdates: boolean;
  /** Shorter stall and retry timings for tests; production uses the transfer engine's defaults. */
  readonly transferTuning?: { stallMs?: number; retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number } };
}
