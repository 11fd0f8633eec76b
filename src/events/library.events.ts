// STORAGE FORMAT: never change a shape in place; add a version with an upcaster (registry.ts).
// The library: files found on disk, their hashes, who they are on CivitAI, and what changed upstream.
import { z } from 'zod';
import { folderOfModelsPath } from '../routing/folders.js';
import { defineEvent } from './registry.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
const Id = z.number().int().positive();
/** Paths relative to the models folder (forward slashes), or absolute for files under other roots. */
const ModelPath = z.string().min(1).max(4096);

export const scanStarted = defineEvent('scan.started', z.object({ roots: z.array(z.string()) }));

export const scanCompleted = defineEvent(
  'scan.completed',
  z.object({
    files: z.number().int().nonnegative(),
    hashed: z.number().int().nonnegative(),
    cached: z.number().int().nonnegative(),
    discovered: z.number().int().nonnegative(),
    moved: z.number().int().nonnegative(),
    missing: z.number().int().nonnegative(),
    identified: z.number().int().nonnegative(),
    unknown: z.number().int().nonnegative(),
    ms: z.number().int().nonnegative(),
  }),
);

/** A hash-cache entry: while device, inode, size and mtime stay the same, the file is not hashed again. */
export const fileHashed = defineEvent(
  'file.hashed',
  z.object({
    path: ModelPath,
    dev: z.number().int().nonnegative(),
    ino: z.number().int().nonnegative(),
    size: z.number().int().nonnegative(),
    mtimeMs: z.number(),
    sha256: Sha256,
    checkedAtMs: z.number(),
  }),
);

/** A model file on disk that the catalog did not know at this path. */
export const fileDiscovered = defineEvent(
  'file.discovered',
  z.object({ path: ModelPath, folder: z.string().min(1), sha256: Sha256, sizeBytes: z.number().int().nonnegative() }),
);

/** Who a file is on CivitAI, from a hash lookup or another tool's sidecar. */
export const fileIdentified = defineEvent(
  'file.identified',
  z.object({
    sha256: Sha256,
    modelId: Id,
    versionId: Id,
    modelName: z.string(),
    versionName: z.string(),
    modelType: z.string(),
    baseModel: z.string().nullable(),
    source: z.enum(['civitai', 'sidecar', 'download']),
    civitai: z.record(z.string(), z.unknown()),
  }),
);

/** CivitAI does not know this hash: remembered so it is not asked again before the TTL. */
export const fileUnidentified = defineEvent('file.unidentified', z.object({ sha256: Sha256 }));

const fileMovedV1 = z.object({ from: ModelPath, to: ModelPath, sha256: Sha256 });

/**
 * The same bytes, now at another path. v2 names the ComfyUI folder of the new path, which an absolute path (a
 * folder of extra_model_paths.yaml) does not tell; a v1 event gives the first folder of a relative path, or none.
 */
export const fileMoved = defineEvent('file.moved', fileMovedV1.extend({ folder: z.string().min(1).nullable() }), {
  version: 2,
  past: {
    1: {
      schema: fileMovedV1,
      up: (data) => {
        const d = data as z.infer<typeof fileMovedV1>;
        return { ...d, folder: d.to.startsWith('/') ? null : folderOfModelsPath(d.to) };
      },
    },
  },
});

/** Gone from disk (deleted, or its drive is offline): the catalog keeps its metadata and marks it missing. */
export const fileMissing = defineEvent('file.missing', z.object({ path: ModelPath, sha256: Sha256 }));

/** A missing file that came back at the same path. */
export const fileReturned = defineEvent('file.returned', z.object({ path: ModelPath, sha256: Sha256 }));

export const fileVerified = defineEvent(
  'file.verified',
  z.object({
    path: ModelPath,
    status: z.enum(['ok', 'changed', 'missing']),
    expected: Sha256,
    actual: Sha256.nullable(),
  }),
);

export const modelVersionDiscovered = defineEvent(
  'model.version_discovered',
  z.object({
    modelId: Id,
    versionId: Id,
    versionName: z.string(),
    publishedAt: z.string().nullable(),
    baseModel: z.string().nullable(),
    installedVersionId: Id,
  }),
);

/** CivitAI now serves other bytes for a version that is installed. */
export const modelFileReplaced = defineEvent(
  'model.file_replaced',
  z.object({ modelId: Id, versionId: Id, fileId: Id, installedSha256: Sha256, remoteSha256: Sha256 }),
);

/**
 * A newer commit on the branch (or tag) a Hugging Face file was downloaded from changed the file: what we have and
 * what the branch holds now (its SHA-256, or the git blob id of a small file kept in git).
 */
export const huggingfaceFileChanged = defineEvent(
  'huggingface.file_changed',
  z.object({
    repo: z.string().min(1).max(200),
    path: z.string().min(1).max(1024),
    branch: z.string().min(1).max(256),
    installedCommit: z.string().regex(/^[0-9a-f]{40}$/),
    installedSha256: Sha256,
    latestCommit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
    title: z.string().max(500).nullable(),
    committedAt: z.string().max(64).nullable(),
    sha256: Sha256.nullable(),
    gitBlobId: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
    sizeBytes: z.number().int().nonnegative(),
  }),
);

/** The user does not want to hear about this model's updates (versionId null) or about one version. */
export const updateIgnored = defineEvent('update.ignored', z.object({ modelId: Id, versionId: Id.nullable() }));

export const updatesChecked = defineEvent(
  'updates.checked',
  z.object({ models: z.number().int().nonnegative(), discovered: z.number().int().nonnegative(), failed: z.string().nullable() }),
);

/** Sending a notification is itself a fact: it is never sent twice, not after a restart, not on replay. */
export const notificationSent = defineEvent(
  'notification.sent',
  z.object({ key: z.string().min(1).max(300), kind: z.enum(['update', 'download_completed', 'download_failed']), summary: z.string().max(500) }),
);

export const libraryEvents = [
  scanStarted, scanCompleted, fileHashed, fileDiscovered, fileIdentified, fileUnidentified, fileMoved, fileMissing,
  fileReturned, fileVerified, modelVersionDiscovered, modelFileReplaced, huggingfaceFileChanged, updateIgnored, updatesChecked, notificationSent,
] as const;
