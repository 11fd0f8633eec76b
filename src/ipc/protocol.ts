import { z } from 'zod';

/**
 * The wire contract between the daemon and its clients (CLI, desktop gateway): NDJSON frames over a
 * Unix socket. Shared by both sides, so it imports nothing but zod (it ships to the desktop app and
 * loads on every CLI start).
 *
 * Conversation:
 *   client → {t:'hello', protocol, client}          daemon → {t:'hello', protocol, daemon}
 *   client → {t:'req', id, method, params}          daemon → {t:'res', id, ok:true, result}
 *                                                          | {t:'res', id, ok:false, error}
 *   after `events.subscribe` (sub = the request id) daemon → {t:'event'|'caught_up'|'progress'|'job'|'end', sub, …}
 *   a frame that cannot be answered by id           daemon → {t:'error', error}
 * Responses may arrive in any order; match them by id.
 */

/** Bump on any incompatible change to the frames or method shapes below. 2: jobs name their source; `add` may
 *  answer without a job (a file only a scan knows). */
export const PROTOCOL_VERSION = 2;

export const IPC_ERROR_CODES = [
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
  'HANDSHAKE_REQUIRED',
  'PROTOCOL_MISMATCH',
  'UNKNOWN_METHOD',
  'BAD_PARAMS',
  'NOT_FOUND',
  'CONFLICT',
  'FAILED',
  'INTERNAL',
  'SUBSCRIBER_TOO_SLOW',
  'SHUTTING_DOWN',
  'TOO_MANY_CONNECTIONS',
  // Raised by the client itself, never sent by the daemon.
  'DAEMON_UNREACHABLE',
  'CONNECTION_CLOSED',
  'BAD_RESPONSE',
] as const;
export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

export const IpcErrorSchema = z.object({ code: z.enum(IPC_ERROR_CODES), message: z.string() });
export interface IpcError {
  readonly code: IpcErrorCode;
  readonly message: string;
}

export function protocolMismatchError(clientProtocol: number, daemonProtocol: number, daemonVersion: string): IpcError {
  return {
    code: 'PROTOCOL_MISMATCH',
    message:
      `this client speaks IPC protocol ${clientProtocol} but the daemon (comfyui-dl ${daemonVersion}) speaks ${daemonProtocol}: ` +
      'restart the daemon after upgrading (systemctl --user restart comfyui-dl) and use the matching CLI',
  };
}

export const RequestIdSchema = z.union([z.int().nonnegative(), z.string().min(1).max(128)]);
export type RequestId = z.infer<typeof RequestIdSchema>;

// --- handshake -------------------------------------------------------------------------------

export const ClientHelloSchema = z.object({
  t: z.literal('hello'),
  protocol: z.int(),
  client: z.string().max(200),
});
export type ClientHello = z.infer<typeof ClientHelloSchema>;

export const DaemonHelloSchema = z.object({
  t: z.literal('hello'),
  protocol: z.int(),
  daemon: z.string(),
});
export type DaemonHello = z.infer<typeof DaemonHelloSchema>;

// --- requests and responses --------------------------------------------------------------------

export const RequestFrameSchema = z.object({
  t: z.literal('req'),
  id: RequestIdSchema,
  method: z.string().min(1).max(200),
  params: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof RequestFrameSchema>;

export const ResponseFrameSchema = z.discriminatedUnion('ok', [
  z.object({ t: z.literal('res'), id: RequestIdSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id: RequestIdSchema, ok: z.literal(false), error: IpcErrorSchema }),
]);
export type ResponseFrame = z.infer<typeof ResponseFrameSchema>;

/** A connection-level error that no request id can carry (unparseable frame, missing handshake). */
export const ErrorFrameSchema = z.object({ t: z.literal('error'), error: IpcErrorSchema });
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;

// --- events and subscriptions ------------------------------------------------------------------

/** An event as every client sees it (ARCHITECTURE.md §5, `history` and `watch --json`). */
export const EventJsonSchema = z.object({
  position: z.int().nonnegative(),
  streamId: z.string(),
  type: z.string(),
  version: z.int().positive(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string(),
});
export type EventJson = z.infer<typeof EventJsonSchema>;

export const SubscribeParamsSchema = z.strictObject({
  /** First global position to deliver (inclusive); omitted: only events appended from now on. */
  from: z.int().nonnegative().optional(),
  stream: z.string().min(1).optional(),
  category: z.string().min(1).optional(),
  types: z.array(z.string().min(1)).max(200).optional(),
  /**
   * Also push a `job` frame with a download job's JSON after each event that changed it, so that a client showing
   * jobs needs no request per event.
   */
  jobs: z.boolean().optional(),
});
export type SubscribeParams = z.infer<typeof SubscribeParamsSchema>;

export const SubscribeResultSchema = z.object({ sub: RequestIdSchema });
export const UnsubscribeParamsSchema = z.strictObject({ sub: RequestIdSchema });
export const SUBSCRIBE_METHOD = 'events.subscribe';
export const UNSUBSCRIBE_METHOD = 'events.unsubscribe';

// A producer hands the server these payloads; the server stamps them with `sub` for the wire.
const EventPayloadSchema = z.object({ t: z.literal('event'), event: EventJsonSchema });
/** Everything up to `position` has been delivered; what follows is live. */
const CaughtUpPayloadSchema = z.object({ t: z.literal('caught_up'), position: z.int().nonnegative() });
/** Ephemeral transfer progress (not an event in the log); open so the daemon can add fields. */
const ProgressPayloadSchema = z.looseObject({
  t: z.literal('progress'),
  jobId: z.string(),
  bytesDone: z.int().nonnegative(),
  bytesTotal: z.int().nonnegative().nullable(),
});
/**
 * A download job as it is once the event just delivered (and any before it) is folded: pushed after that event,
 * and only to subscribers that asked for `jobs`. Declared lazily: the job shape is defined further down.
 */
const JobPayloadSchema = z.object({ t: z.literal('job'), job: z.lazy(() => JobJsonSchema) });
/** The subscription is over; `error` says why when the client did not ask for it. */
const EndPayloadSchema = z.object({ t: z.literal('end'), error: IpcErrorSchema.optional() });

export type SubscriptionPayload =
  | z.infer<typeof EventPayloadSchema>
  | z.infer<typeof CaughtUpPayloadSchema>
  | z.infer<typeof ProgressPayloadSchema>
  | z.infer<typeof JobPayloadSchema>
  | z.infer<typeof EndPayloadSchema>;

const withSub = { sub: RequestIdSchema };
export const EventPushSchema = EventPayloadSchema.extend(withSub);
export const CaughtUpPushSchema = CaughtUpPayloadSchema.extend(withSub);
export const ProgressPushSchema = ProgressPayloadSchema.extend(withSub);
export const JobPushSchema = JobPayloadSchema.extend(withSub);
export const EndPushSchema = EndPayloadSchema.extend(withSub);

export const SubscriptionFrameSchema = z.discriminatedUnion('t', [
  EventPushSchema,
  CaughtUpPushSchema,
  ProgressPushSchema,
  JobPushSchema,
  EndPushSchema,
]);
export type SubscriptionFrame = z.infer<typeof SubscriptionFrameSchema>;

/** Every frame the daemon may send once the handshake is done. */
export const DaemonFrameSchema = z.discriminatedUnion('t', [
  ResponseFrameSchema,
  ErrorFrameSchema,
  EventPushSchema,
  CaughtUpPushSchema,
  ProgressPushSchema,
  JobPushSchema,
  EndPushSchema,
]);
export type DaemonFrame = z.infer<typeof DaemonFrameSchema>;

// --- the method table ---------------------------------------------------------------------------

export interface MethodDef<N extends string, P extends z.ZodType, R extends z.ZodType> {
  readonly name: N;
  readonly params: P;
  readonly result: R;
}

export function defineMethod<const N extends string, P extends z.ZodType, R extends z.ZodType>(
  name: N,
  params: P,
  result: R,
): MethodDef<N, P, R> {
  return { name, params, result };
}

type AnyMethodDef = MethodDef<string, z.ZodType, z.ZodType>;

function methodTable<const D extends readonly AnyMethodDef[]>(...defs: D): { readonly [M in D[number] as M['name']]: M } {
  return Object.fromEntries(defs.map((def) => [def.name, def])) as { readonly [M in D[number] as M['name']]: M };
}

const NoParams = z.strictObject({});

/** Open on purpose: the daemon reports more as it grows, and old clients must keep parsing it. */
export const StatusResultSchema = z.looseObject({
  version: z.string(),
  pid: z.int(),
  uptimeSeconds: z.number().nonnegative(),
  position: z.int().nonnegative(),
  dbPath: z.string(),
  modelsDir: z.string(),
  queue: z.record(z.string(), z.int().nonnegative()),
  /** This daemon's host, and every host that shares its log with when each was last seen (ISO time). */
  host: z.string().optional(),
  hosts: z.array(z.object({ name: z.string(), lastSeenAt: z.string(), running: z.int().nonnegative(), version: z.string() })).optional(),
  /** The socket's load: clients connected, replies written but not yet read by them, requests being answered. */
  ipc: z.object({ connections: z.int().nonnegative(), bufferedBytes: z.int().nonnegative(), inFlight: z.int().nonnegative() }).optional(),
});

export const HistoryParamsSchema = z.strictObject({
  /** Only events after this global position (exclusive, like a checkpoint). */
  since: z.int().nonnegative().optional(),
  /**
   * Only events before this global position (exclusive): the `limit` newest of them, still oldest first. Paging
   * back through the log passes the position of the oldest event it has.
   */
  before: z.int().positive().optional(),
  stream: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  category: z.string().min(1).optional(),
  /** Any of these stream categories. */
  categories: z.array(z.string().min(1).max(64)).min(1).max(20).optional(),
  /** Leave these event types out (the timeline hides chunk writes). */
  excludeTypes: z.array(z.string().min(1).max(64)).max(50).optional(),
  limit: z.int().min(1).max(10_000).optional(),
});

export const ReplayResultSchema = z.object({
  /** Events folded. */
  events: z.int().nonnegative(),
  /** Views rebuilt. */
  views: z.int().nonnegative(),
  ms: z.number().nonnegative(),
});

/** Where a file comes from (ARCHITECTURE.md §8). */
export const SOURCE_NAMES = ['civitai', 'huggingface'] as const;

/** Request/response methods. Subscriptions (`events.subscribe`/`events.unsubscribe`) are served apart. */
export const JOB_STATES = ['queued', 'resolving', 'downloading', 'waiting', 'paused', 'verifying', 'completed', 'failed', 'cancelled'] as const;

/** A download job (ARCHITECTURE.md §5); fields after `error` extend the contract. */
export const JobJsonSchema = z.object({
  id: z.string(),
  state: z.enum(JOB_STATES),
  modelId: z.int().nullable(),
  versionId: z.int().nullable(),
  fileId: z.int().nullable(),
  fileName: z.string().nullable(),
  /** Relative to the models folder once placed. */
  path: z.string().nullable(),
  sha256: z.string().nullable(),
  bytesDone: z.int().nonnegative(),
  bytesTotal: z.int().nonnegative().nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  modelName: z.string().nullable(),
  versionName: z.string().nullable(),
  type: z.string().nullable(),
  baseModel: z.string().nullable(),
  folder: z.string().nullable(),
  routingReason: z.string().nullable(),
  attempts: z.int().nonnegative(),
  /** When a `waiting` job tries again (ISO time); null in every other state. */
  nextAttemptAt: z.string().nullable(),
  /** Why a `paused` job is paused: the user asked, or the disk is full (the numbers are in `error`). */
  pausedReason: z.enum(['user', 'disk_full']).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Where the file comes from; a Hugging Face file has null model, version and file ids and names its repo instead. */
  source: z.enum(SOURCE_NAMES),
  /** `owner/name` of the Hugging Face repo; null for CivitAI. */
  repo: z.string().nullable(),
  /** The commit id the Hugging Face revision was pinned to when the job was added; null for CivitAI. */
  revision: z.string().nullable(),
  /** The file's path in the Hugging Face repo; null for CivitAI. */
  repoPath: z.string().nullable(),
  /** The host that downloads it, in a log several hosts share; null in a single host's log. */
  host: z.string().nullable().optional(),
});
export type JobJson = z.infer<typeof JobJsonSchema>;

export const UpdateJsonSchema = z.object({ versionId: z.int(), versionName: z.string(), publishedAt: z.string().nullable() });

/** A model on disk (ARCHITECTURE.md §5, `list`); fields after `update` extend the contract. */
export const CatalogEntryJsonSchema = z.object({
  path: z.string(),
  folder: z.string(),
  sha256: z.string(),
  sizeBytes: z.int().nonnegative(),
  modelId: z.int().nullable(),
  versionId: z.int().nullable(),
  modelName: z.string().nullable(),
  versionName: z.string().nullable(),
  type: z.string().nullable(),
  baseModel: z.string().nullable(),
  origin: z.enum(['download', 'scan']),
  update: UpdateJsonSchema.nullable(),
  routingReason: z.string().nullable(),
  flagged: z.string().nullable(),
  /** True when the file is gone from disk (deleted, or its drive is offline); its metadata is kept. */
  missing: z.boolean(),
  /** True when verification found other bytes than the recorded SHA-256 at this path. */
  changed: z.boolean().optional(),
  /** Where the file came from; null for a file a scan found that no source identified. */
  source: z.enum(SOURCE_NAMES).nullable().optional(),
  /** A Hugging Face file: its repo, the commit its bytes are from, its path in the repo (null otherwise). */
  repo: z.string().nullable().optional(),
  revision: z.string().nullable().optional(),
  repoPath: z.string().nullable().optional(),
  /** The host whose disk holds the file, in a log several hosts share; null in a single host's log. */
  host: z.string().nullable().optional(),
});
export type CatalogEntryJson = z.infer<typeof CatalogEntryJsonSchema>;

const positiveId = z.int().positive().max(2_147_483_647);
/** The longest reference `add` takes: longer than any model page or download URL, short of abuse. */
export const MAX_REF_LENGTH = 2048;
/** `add --fp/--format/--size`: the values CivitAI's file metadata uses (ARCHITECTURE.md §8). */
export const FILE_FP_VALUES = ['fp16', 'fp32', 'bf16', 'fp8'] as const;
export const FILE_FORMAT_VALUES = ['SafeTensor', 'PickleTensor', 'GGUF', 'Diffusers', 'Other'] as const;
export const FILE_SIZE_VALUES = ['pruned', 'full'] as const;
export const AddParamsSchema = z
  .strictObject({
    /** A CivitAI model page URL, download URL or AIR, or a Hugging Face file URL or `hf://` reference. */
    ref: z.string().min(1).max(MAX_REF_LENGTH).optional(),
    model: positiveId.optional(),
    version: positiveId.optional(),
    file: positiveId.optional(),
    fp: z.enum(FILE_FP_VALUES).optional(),
    format: z.enum(FILE_FORMAT_VALUES).optional(),
    size: z.enum(FILE_SIZE_VALUES).optional(),
    /**
     * Place the file exactly at `<directory>/<name>` (a ComfyUI folder key and the name a loader asks for), in the
     * first folder ComfyUI searches for that key, whatever the header's routing and the path template say.
     */
    target: z.strictObject({ directory: z.string().min(1).max(200), name: z.string().min(1).max(1024) }).optional(),
    /** The host that downloads the file, in a log several hosts share (default: the daemon's own). */
    host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/).optional(),
  })
  .refine((p) => p.ref !== undefined || p.model !== undefined || p.version !== undefined, 'give a reference (URL or AIR), a model id or a version id');
const JobRef = z.strictObject({ job: z.string().min(1).max(64) });

export const AddResultSchema = z.object({
  job: JobJsonSchema.nullable(),
  existing: z.boolean(),
  retried: z.boolean(),
  repair: z.boolean(),
  present: CatalogEntryJsonSchema.nullable(),
});
export type AddResult = z.infer<typeof AddResultSchema>;

/** An available update (ARCHITECTURE.md §5, `updates`); fields after `path` extend the contract. */
export const AvailableUpdateJsonSchema = z.object({
  modelId: z.int(),
  installedVersionId: z.int(),
  latestVersionId: z.int(),
  latestVersionName: z.string(),
  publishedAt: z.string().nullable(),
  path: z.string().nullable(),
  modelName: z.string().nullable(),
  baseModel: z.string().nullable(),
});
export type AvailableUpdateJson = z.infer<typeof AvailableUpdateJsonSchema>;

/** A file CivitAI replaced under a version you have: same version, other bytes (ARCHITECTURE.md §8). */
export const FileReplacementJsonSchema = z.object({
  modelId: z.int(),
  versionId: z.int(),
  /** The file CivitAI serves now (`updates get <model>` downloads it). */
  fileId: z.int().optional(),
  path: z.string().nullable(),
  installedSha256: z.string(),
  remoteSha256: z.string(),
  modelName: z.string().nullable(),
  versionName: z.string().nullable(),
  baseModel: z.string().nullable(),
});
export type FileReplacementJson = z.infer<typeof FileReplacementJsonSchema>;

/** A Hugging Face file you have whose branch moved on to other bytes (a newer commit changed it). */
export const HfUpdateJsonSchema = z.object({
  repo: z.string(),
  repoPath: z.string(),
  /** The branch (or tag) the file was downloaded from. */
  revision: z.string(),
  installedCommit: z.string(),
  latestCommit: z.string().nullable(),
  installedSha256: z.string(),
  /** The new bytes' SHA-256; null for a small file kept in git, known by its git blob id. */
  remoteSha256: z.string().nullable(),
  remoteGitBlobId: z.string().nullable(),
  sizeBytes: z.int().nonnegative(),
  /** The commit's title and date. */
  title: z.string().nullable(),
  committedAt: z.string().nullable(),
  /** Where the installed copy is. */
  path: z.string().nullable(),
  /** What `updates get` (and `add`) take for this file: `hf://<repo>[@<branch>]/<path>`. */
  ref: z.string(),
});
export type HfUpdateJson = z.infer<typeof HfUpdateJsonSchema>;

export const ScanSummarySchema = z.object({
  files: z.int(), hashed: z.int(), cached: z.int(), discovered: z.int(), moved: z.int(), missing: z.int(),
  identified: z.int(), unknown: z.int(), ms: z.int(),
});

export const VerifyResultSchema = z.object({
  path: z.string(),
  status: z.enum(['ok', 'changed', 'missing', 'unknown']),
  expected: z.string().nullable(),
  actual: z.string().nullable(),
  /**
   * With `--repair`, for a missing or changed file: the job that downloads it again, the path of an intact copy that
   * is already there (nothing to download), or why nothing could be queued.
   */
  repair: z.object({ jobId: z.string().nullable(), intactAt: z.string().nullable(), error: z.string().nullable() }).nullable().optional(),
});
const JobResult = z.object({ job: JobJsonSchema });

/** Where a setting's value came from: flag > environment > config file > default, or changed live (`config set`). */
export const SETTING_SOURCES = ['flag', 'env', 'file', 'default', 'live'] as const;
/** Every setting with its effective value and where it came from; the API key only masked. */
export const ConfigReportSchema = z.object({
  configFile: z.string(),
  settings: z.record(z.string(), z.object({ value: z.unknown(), source: z.enum(SETTING_SOURCES) })),
  apiKey: z.object({ value: z.string().nullable(), source: z.enum(['env', 'file']).nullable() }),
  /** The Hugging Face token (HF_TOKEN or `config set-key --huggingface`), masked the same way. */
  hfToken: z.object({ value: z.string().nullable(), source: z.enum(['env', 'file']).nullable() }).optional(),
});
export type ConfigReport = z.infer<typeof ConfigReportSchema>;

/** The most model files one workflow check takes (far more than any real workflow loads), and each field's bound. */
export const MAX_WORKFLOW_MODELS = 500;
/** A `workflow.check` request's model list, serialised: under the 1 MiB frame cap, with room for the rest. */
export const MAX_WORKFLOW_CHECK_BYTES = 900 * 1024;
export const WORKFLOW_LIMITS = {
  name: 1024, directory: 200, url: 8192, hash: 256, hashType: 40, usedBy: 100, nodeId: 64, nodeType: 200, title: 300, input: 200,
} as const;
const L = WORKFLOW_LIMITS;

/** A node that loads a model file: shown so a user can find it in the workflow. */
export const WorkflowNodeUseSchema = z.object({
  nodeId: z.string().max(L.nodeId),
  nodeType: z.string().max(L.nodeType),
  title: z.string().max(L.title).optional(),
  /** The input (widget) naming the file. */
  input: z.string().max(L.input),
  /** False for a muted or bypassed node. */
  active: z.boolean(),
});

/** One model file a workflow loads, as the client read it from the workflow (`src/workflow/models.ts`). */
export const WorkflowModelSchema = z.strictObject({
  name: z.string().min(1).max(L.name),
  /** ComfyUI's folder key; null when only a node comfyui-dl does not know names the file. */
  directory: z.string().min(1).max(L.directory).nullable(),
  usedBy: z.array(WorkflowNodeUseSchema).max(L.usedBy),
  url: z.string().max(L.url).optional(),
  hash: z.string().max(L.hash).optional(),
  hashType: z.string().max(L.hashType).optional(),
  /** An embedding named without its extension: ComfyUI tries `.safetensors`, `.pt` and `.bin`. */
  extensionOptional: z.boolean().optional(),
});
export type WorkflowModel = z.infer<typeof WorkflowModelSchema>;

export const WORKFLOW_MODEL_STATUSES = ['present', 'missing', 'unresolved'] as const;

/** A workflow's model file and where it stands (ARCHITECTURE.md §8); fields after `url` extend the contract. */
export const WorkflowModelJsonSchema = z.object({
  name: z.string(),
  directory: z.string().nullable(),
  /** present: ComfyUI finds it; missing: not there, and comfyui-dl knows where to fetch it; unresolved: neither. */
  status: z.enum(WORKFLOW_MODEL_STATUSES),
  /** Where ComfyUI finds it, or where it will land (relative to the models folder, or absolute outside it). */
  path: z.string().nullable(),
  /** Where it comes from: the workflow's URL, or the CivitAI page of the version its hash matched. */
  url: z.string().nullable(),
  /** The source a missing file is fetched from. */
  source: z.enum(['civitai', 'huggingface']).nullable(),
  hash: z.string().nullable(),
  hashType: z.string().nullable(),
  /** The CivitAI version and file its hash matched. */
  civitai: z.object({ modelId: z.int(), versionId: z.int(), fileId: z.int() }).nullable(),
  usedBy: z.array(WorkflowNodeUseSchema),
  /** Why a file is unresolved, and what to do. */
  reason: z.string().nullable(),
  warnings: z.array(z.string()),
  /** The download job bringing it (queued now by `get`, or earlier and still on its way). */
  job: JobJsonSchema.nullable(),
  /** Why `get` could not queue it. */
  error: IpcErrorSchema.nullable(),
});
export type WorkflowModelJson = z.infer<typeof WorkflowModelJsonSchema>;

/** Request/response methods. Subscriptions (`events.subscribe`/`events.unsubscribe`) are served apart. */
export const METHODS = methodTable(
  defineMethod('status', NoParams, StatusResultSchema),
  defineMethod('history', HistoryParamsSchema, z.object({ events: z.array(EventJsonSchema) })),
  defineMethod('replay', NoParams, ReplayResultSchema),
  /** The settings the daemon runs with, and where each came from. */
  defineMethod('config', NoParams, ConfigReportSchema),
  /**
   * `existing` is true when the same file was already queued or is on disk intact: nothing new starts. `job` is the
   * job that has it, null when only a scan found it (`present` is then its catalog entry); `retried` when a job that
   * failed or was cancelled for the same bytes runs again; `repair` when a new job replaces a copy that went missing
   * or changed.
   */
  defineMethod('add', AddParamsSchema, AddResultSchema),
  defineMethod('queue', z.strictObject({ all: z.boolean().optional(), host: z.string().min(1).max(63).optional() }), z.object({ jobs: z.array(JobJsonSchema) })),
  defineMethod('job', JobRef, JobResult),
  defineMethod('pause', JobRef, JobResult),
  defineMethod('resume', JobRef, JobResult),
  defineMethod('cancel', JobRef, JobResult),
  defineMethod('retry', JobRef, JobResult),
  defineMethod('list', z.strictObject({ allHosts: z.boolean().optional() }), z.object({ models: z.array(CatalogEntryJsonSchema) })),
  defineMethod('scan', z.strictObject({ wait: z.boolean().optional() }), z.object({ started: z.boolean(), summary: ScanSummarySchema.nullable() })),
  defineMethod(
    'updates',
    z.strictObject({ check: z.boolean().optional() }),
    z.object({ updates: z.array(AvailableUpdateJsonSchema), replaced: z.array(FileReplacementJsonSchema), huggingface: z.array(HfUpdateJsonSchema) }),
  ),
  /**
   * Downloads what `updates` lists for one model (its newer version, else the file CivitAI replaced) or one Hugging
   * Face file (`ref`: its `hf://` reference or URL): the answer is `add`'s.
   */
  defineMethod(
    'updates.get',
    z.strictObject({ model: positiveId.optional(), ref: z.string().min(1).max(MAX_REF_LENGTH).optional() })
      .refine((p) => (p.model === undefined) !== (p.ref === undefined), 'give a model id or a Hugging Face reference'),
    AddResultSchema,
  ),
  defineMethod(
    'updates.ignore',
    z.strictObject({ model: positiveId.optional(), version: positiveId.optional() }).refine((p) => (p.model === undefined) !== (p.version === undefined), 'give a model id or a version id'),
    z.object({ modelId: z.int(), versionId: z.int().nullable() }),
  ),
  defineMethod(
    'verify',
    z.strictObject({ paths: z.array(z.string().min(1).max(4096)).max(10_000).optional(), repair: z.boolean().optional() }),
    z.object({ results: z.array(VerifyResultSchema) }),
  ),
  /** The CivitAI browser: a page of search results, passed through from the API (objects kept as CivitAI sends them). */
  defineMethod(
    'civitai.search',
    z.strictObject({
      query: z.string().max(200).optional(),
      types: z.array(z.string().max(40)).max(20).optional(),
      baseModels: z.array(z.string().max(60)).max(20).optional(),
      sort: z.string().max(40).optional(),
      nsfw: z.boolean().optional(),
      limit: z.int().min(1).max(100).optional(),
      cursor: z.string().max(500).optional(),
    }),
    z.object({ items: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() }),
  ),
  /**
   * Where each model file of a workflow stands: present where ComfyUI looks, missing (with a source), or unresolved;
   * with `get`, every missing one is queued to land at `<directory>/<name>` exactly.
   */
  defineMethod(
    'workflow.check',
    z.strictObject({ models: z.array(WorkflowModelSchema).max(MAX_WORKFLOW_MODELS), get: z.boolean().optional() }),
    z.object({ models: z.array(WorkflowModelJsonSchema) }),
  ),
  defineMethod('civitai.model', z.strictObject({ id: positiveId }), z.object({ model: z.record(z.string(), z.unknown()) })),
  defineMethod(
    'settings.set',
    z.strictObject({ key: z.enum(['concurrency', 'connections']), value: z.int().min(1).max(16) }),
    z.object({ key: z.string(), value: z.int() }),
  ),
);

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
/** What a caller passes (before defaults and coercion). */
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>;
/** What a handler receives once the daemon has validated the params. */
export type ValidParamsOf<M extends MethodName> = z.output<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}
