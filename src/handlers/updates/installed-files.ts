// The files on disk that tie the library to CivitAI models, read from the views, and which CivitAI file each
// one was, read from the stream that identified or downloaded it.
import { modelFileSchema } from '../../civitai/schemas.js';
import { fileSha256 } from '../../civitai/select.js';
import type { EventStore } from '../../store/event-store.js';
import type { ViewQueries } from '../../views/queries.js';
import type { InstalledFile, InstalledFileFacts, PresentFiles } from './update-decision.js';

export interface InstalledLibrary extends PresentFiles {
  readonly files: readonly (InstalledFile & { readonly jobId: string | null })[];
}

/** Files present on disk; those with a known CivitAI version are the installed ones. */
export async function readInstalledLibrary(views: ViewQueries): Promise<InstalledLibrary> {
  const rows = await views.presentFilesWithIdentity();
  const files: (InstalledFile & { jobId: string | null })[] = [];
  for (const r of rows) {
    const modelId = r.model_id ?? r.i_model_id;
    const versionId = r.version_id ?? r.i_version_id;
    if (modelId && versionId) files.push({ sha256: r.sha256, modelId, versionId, baseModel: r.base_model ?? r.i_base_model ?? null, jobId: r.job_id });
  }
  return {
    files,
    sha256s: new Set(rows.map((r) => r.sha256)),
    versionIds: new Set(files.map((f) => f.versionId)),
  };
}

function fileFacts(files: unknown, matches: (file: { id: number; sha256: string | undefined }) => boolean): InstalledFileFacts | undefined {
  for (const candidate of Array.isArray(files) ? files : []) {
    const parsed = modelFileSchema.safeParse(candidate);
    if (parsed.success && matches({ id: parsed.data.id, sha256: fileSha256(parsed.data) })) {
      return { name: parsed.data.name, type: parsed.data.type };
    }
  }
  return undefined;
}

/**
 * The CivitAI file an installed file was: for a download, the file its job resolved; for a scanned file, the file
 * of the identified version that carried its hash (none when CivitAI never listed that hash).
 */
export async function installedFileFacts(store: EventStore, file: InstalledFile & { readonly jobId: string | null }): Promise<InstalledFileFacts | undefined> {
  if (file.jobId !== null) {
    const resolved = (await store.readStream(`download-${file.jobId}`)).findLast((e) => e.type === 'download.resolved');
    const data = resolved?.data as { fileId: number; civitai: Record<string, unknown> } | undefined;
    return data ? fileFacts(data.civitai.files, (f) => f.id === data.fileId) : undefined;
  }
  const identified = (await store.readStream(`file-${file.sha256}`)).findLast((e) => e.type === 'file.identified');
  const civitai = (identified?.data as { civitai: Record<string, unknown> } | undefined)?.civitai;
  return civitai ? fileFacts(civitai.files, (f) => f.sha256 === file.sha256) : undefined;
}
