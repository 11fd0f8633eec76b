import { request } from 'undici';
import type { JobFold } from '../../events/download.decider.js';
import type { RouteDecision } from '../../routing/decide.js';
import { pickPreview, type PreviewCandidate } from '../../sidecar/preview.js';
import { findExistingPreview, savePreview, writeModelSidecar } from '../../sidecar/sidecar-file.js';
import type { SidecarInput } from '../../sidecar/metadata.js';
import type { HuggingfaceResolved } from '../../sources/source.js';
import { stat } from 'node:fs/promises';

/** A preview larger than this is not a preview. */
const MAX_PREVIEW_BYTES = 32 * 1024 * 1024;

async function fetchPreview(url: string): Promise<{ bytes: Buffer; contentType: string | null } | null> {
  const res = await request(url, { headersTimeout: 15_000, bodyTimeout: 15_000 });
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    // Leaving the loop closes the body quietly.
    if (size > MAX_PREVIEW_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  const type = res.headers['content-type'];
  return { bytes: Buffer.concat(chunks), contentType: (Array.isArray(type) ? type[0] : type) ?? null };
}

/**
 * Writes `<stem>.metadata.json` (merged with any sidecar already there) with the version and, when given, the
 * model (`/models/:id`: tags, description, creator, license) and, when CivitAI has an image at or below the
 * allowed NSFW level and no preview of any kind sits beside the model yet, `<stem>.preview.<ext>`. A preview that
 * cannot be fetched is skipped: the model and its metadata matter more.
 */
export async function writeSidecarWithPreview(
  policy: { maxNsfwLevel: number },
  modelPath: string,
  job: JobFold,
  decision: RouteDecision,
  model: Readonly<Record<string, unknown>> | null = null,
): Promise<{ path: string; previewPath: string | null }> {
  const resolved = job.resolved;
  const version = resolved?.source === 'civitai' ? resolved.civitai : null;
  const existingPreview = await findExistingPreview(modelPath);
  const choice = existingPreview ? null : pickPreview(((version?.images as PreviewCandidate[] | undefined) ?? []), { maxNsfwLevel: policy.maxNsfwLevel });
  let preview: { path: string; nsfwLevel: number } | null = existingPreview ? { path: existingPreview, nsfwLevel: 0 } : null;
  if (choice) {
    const fetched = await fetchPreview(choice.url).catch(() => null);
    if (fetched) {
      const saved = await savePreview(modelPath, fetched.bytes, fetched.contentType);
      if (saved.isOk()) preview = { path: saved.value, nsfwLevel: choice.nsfwLevel };
    }
  }
  const now = new Date();
  const written = await writeModelSidecar({
    filePath: modelPath,
    size: (await stat(modelPath)).size,
    importedAt: now,
    sha256: job.transferredSha256,
    version,
    model,
    preview,
    route: decision,
    decidedAt: now,
    origin: resolved?.source === 'huggingface' ? huggingfaceOrigin(resolved) : null,
  });
  if (written.isErr()) throw new Error(written.error.message);
  return { path: written.value.path, previewPath: preview?.path ?? null };
}

/** A Hugging Face file's sidecar names its repo, the commit its bytes are from, its path and URL, and the repo's tags. */
function huggingfaceOrigin(resolved: HuggingfaceResolved): NonNullable<SidecarInput['origin']> {
  const tags = resolved.huggingface.tags;
  return {
    source: { type: 'huggingface', repo: resolved.repo, revision: resolved.revision, path: resolved.repoPath, url: resolved.url },
    modelName: resolved.repo,
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
  };
}
