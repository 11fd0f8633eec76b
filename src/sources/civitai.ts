// CivitAI as a source: a model, version or file reference becomes the version's file with CivitAI's SHA-256, and
// the signed storage URL comes from the download endpoint (asked again when it expires).
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { CivitaiClient } from '../civitai/client.js';
import type { ModelVersion } from '../civitai/schemas.js';
import { fileSha256, fileSizeBytes, newestVersion, selectFile, type SelectError } from '../civitai/select.js';
import type { CivitaiError } from '../civitai/errors.js';
import type { ModelRef } from '../civitai/refs.js';
import type { CivitaiResolved, ResolveFailure, Source } from './source.js';

const failure = (e: CivitaiError | SelectError): ResolveFailure => ({
  code: e.code === 'NOT_FOUND' || e.code === 'NO_VERSION' || e.code === 'NO_FILE' ? 'NOT_FOUND' : 'FAILED',
  message: e.message,
});

/**
 * What `add` downloads, as facts from CivitAI: the version (newest published when only a model is named),
 * the file (the primary one unless the ref picks another), its size and expected SHA-256.
 */
function resolveRef(client: CivitaiClient, ref: ModelRef): ResultAsync<CivitaiResolved, CivitaiError | SelectError> {
  const version: ResultAsync<ModelVersion, CivitaiError | SelectError> =
    ref.kind === 'version'
      ? client.getModelVersion(ref.versionId)
      : client.getModel(ref.modelId).andThen((model) => {
          const newest = newestVersion(model);
          return newest.isOk() ? client.getModelVersion(newest.value.id) : errAsync<ModelVersion, SelectError>(newest.error);
        });
  return version.andThen((v) => {
    const file = selectFile(v.files, ref.file, `${v.model.name} / ${v.name}`);
    if (file.isErr()) return errAsync(file.error);
    const f = file.value;
    return okAsync({
      source: 'civitai' as const,
      modelId: v.modelId,
      versionId: v.id,
      fileId: f.id,
      fileName: f.name,
      sizeBytes: fileSizeBytes(f),
      sha256: fileSha256(f) ?? null,
      modelName: v.model.name,
      versionName: v.name,
      modelType: v.model.type,
      baseModel: v.baseModel || null,
      civitai: v as Record<string, unknown>,
    });
  });
}

export function civitaiSource(client: CivitaiClient): Source<ModelRef, CivitaiResolved> {
  return {
    resolve: (ref) => resolveRef(client, ref).mapErr(failure),
    storageUrl: async (resolved) => (await client.resolveDownload(resolved.versionId, { fileId: resolved.fileId })).map((d) => ({ url: d.url })),
  };
}
