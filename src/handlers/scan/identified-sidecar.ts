// A sidecar and a preview for a file the scan identified, written the way a download writes them. What is
// already beside the file wins: our sidecar merges with any on disk, and a preview that exists is not fetched.
import { basename } from 'node:path';
import type { ModelVersion } from '../../civitai/schemas.js';
import { fileSha256, fileSizeBytes, selectFile } from '../../civitai/select.js';
import { initialJob, type JobFold } from '../../events/download.decider.js';
import { decideRoute } from '../../routing/decide.js';
import { inspectModelFile } from '../../routing/inspect.js';
import { writeSidecarWithPreview } from '../download/sidecar.js';

export type SidecarOutcome = 'written' | 'no-file';

/**
 * `modelPath` is absolute. The download path's writer takes a job; a scanned file supplies what that writer
 * reads of one: the version object and the file's hash. A sidecar already there is merged with (it keeps every
 * value it has and gains only what it lacks), and a preview of any kind already there is kept.
 */
export async function writeIdentifiedSidecar(
  policy: { maxNsfwLevel: number },
  modelPath: string,
  sha256: string,
  version: ModelVersion,
  model: Readonly<Record<string, unknown>> | null,
): Promise<SidecarOutcome> {
  const file = version.files.find((f) => fileSha256(f) === sha256) ?? selectFile(version.files, undefined, version.name).unwrapOr(undefined);
  if (file === undefined) return 'no-file';
  const fileName = basename(modelPath);
  const job: JobFold = {
    ...initialJob,
    transferredSha256: sha256,
    resolved: {
      source: 'civitai',
      modelId: version.modelId, versionId: version.id, fileId: file.id, fileName: file.name,
      sizeBytes: fileSizeBytes(file), sha256, modelName: version.model.name, versionName: version.name,
      modelType: version.model.type, baseModel: version.baseModel || null, civitai: version,
    },
  };
  const decision = decideRoute({
    header: await inspectModelFile(modelPath, fileName),
    declaredType: version.model.type,
    declaredFileType: file.type,
    civitaiBaseModel: version.baseModel,
    fileName,
  });
  await writeSidecarWithPreview(policy, modelPath, job, decision, model);
  return 'written';
}
