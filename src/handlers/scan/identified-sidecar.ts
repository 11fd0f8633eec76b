// A sidecar and a preview for a file the scan identified, written the way a download writes them. What is
// already beside the file wins: our sidecar merges with any on disk, and a preview that exists is not fetched.
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ModelVersion } from '../../civitai/schemas.js';
import { fileSha256, fileSizeBytes, selectFile } from '../../civitai/select.js';
import { initialJob, type JobFold } from '../../events/download.decider.js';
import { decideRoute } from '../../routing/decide.js';
import { inspectModelFile } from '../../routing/inspect.js';
import { idsFromMetadataJson } from '../../sidecar/foreign.js';
import { besideModel, metadataPathFor } from '../../sidecar/names.js';
import { readSidecar } from '../../sidecar/sidecar-file.js';
import { writeSidecarWithPreview } from '../download/sidecar.js';

/** Previews other tools and people leave: ours, Civitai Helper's and Stability Matrix's, and A1111's `<stem>.<ext>`. */
const PREVIEW_SUFFIXES = [
  '.preview.png', '.preview.jpeg', '.preview.jpg', '.preview.webp', '.preview.mp4', '.png', '.jpg', '.jpeg', '.webp',
];

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function hasPreview(modelPath: string): Promise<boolean> {
  const found = await Promise.all(PREVIEW_SUFFIXES.map((suffix) => exists(besideModel(modelPath, suffix))));
  return found.includes(true);
}

async function hasIdentifiedSidecar(modelPath: string): Promise<boolean> {
  const sidecar = await readSidecar(metadataPathFor(modelPath));
  return sidecar.kind === 'valid' && idsFromMetadataJson(sidecar.value).versionId !== undefined;
}

export type SidecarOutcome = 'written' | 'kept' | 'no-file';

/**
 * `modelPath` is absolute. The download path's writer takes a job; a scanned file supplies what that writer
 * reads of one: the version object and the file's hash.
 */
export async function writeIdentifiedSidecar(
  policy: { maxNsfwLevel: number },
  modelPath: string,
  sha256: string,
  version: ModelVersion,
): Promise<SidecarOutcome> {
  const [identified, previewed] = await Promise.all([hasIdentifiedSidecar(modelPath), hasPreview(modelPath)]);
  if (identified && previewed) return 'kept';
  const file = version.files.find((f) => fileSha256(f) === sha256) ?? selectFile(version.files, undefined, version.name).unwrapOr(undefined);
  if (file === undefined) return 'no-file';
  const fileName = basename(modelPath);
  const job: JobFold = {
    ...initialJob,
    transferredSha256: sha256,
    resolved: {
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
  // No NSFW level is at or below 0, so a file that already has a preview gets no second one.
  await writeSidecarWithPreview({ maxNsfwLevel: previewed ? 0 : policy.maxNsfwLevel }, modelPath, job, decision);
  return 'written';
}
