import type { ResultAsync } from 'neverthrow';
import { errAsync, okAsync } from 'neverthrow';
import type { CivitaiClient } from '../../civitai/client.js';
import type { CivitaiError } from '../../civitai/errors.js';
import type { ModelRef } from '../../civitai/refs.js';
import type { ModelVersion } from '../../civitai/schemas.js';
import { fileSha256, fileSizeBytes, newestVersion, selectFile, type SelectError } from '../../civitai/select.js';
import type { EventDataOf } from '../../events/index.js';

export type ResolveRefError = CivitaiError | SelectError;

/**
 * What `add` downloads, as facts from CivitAI: the version (newest published when only a model is named),
 * the file (the primary one unless the ref picks another), its size and expected SHA-256.
 */
export function resolveRef(client: CivitaiClient, ref: ModelRef): ResultAsync<EventDataOf<'download.resolved'>, ResolveRefError> {
  const version: ResultAsync<ModelVersion, ResolveRefError> =
    ref.kind === 'version'
      ? client.getModelVersion(ref.versionId)
      : client.getModel(ref.modelId).andThen((model) => {
          const newest = newestVersion(model);
          return newest.isOk() ? client.getModelVersion(newest.value.id) : errAsync<ModelVersion, ResolveRefError>(newest.error);
        });
  return version.andThen((v) => {
    const file = selectFile(v.files, ref.file, `${v.model.name} / ${v.name}`);
    if (file.isErr()) return errAsync(file.error);
    const f = file.value;
    return okAsync({
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
