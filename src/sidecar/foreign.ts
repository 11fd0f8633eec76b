// Identity found in sidecars other tools left next to a model file, so a scan can skip hashing or a CivitAI
// lookup: Civitai Helper's `<stem>.civitai.info` (the raw version object; `{}` = "not on CivitAI"), Stability
// Matrix's `<stem>.cm-info.json` (PascalCase) and Lora-Manager's / our `<stem>.metadata.json`.
import { z } from 'zod';
import { normalizeSha256 } from './metadata.js';

export interface SidecarIds {
  readonly sha256?: string;
  readonly modelId?: number;
  readonly versionId?: number;
}

/** Ids are numbers, sometimes numeric strings; skeleton files use "" for unknown. */
const id = z.unknown().transform((value) => {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number > 0 && number <= 2_147_483_647 ? number : undefined;
});
const sha = z.unknown().transform((value) => normalizeSha256(value) || undefined);
const hashes = z.looseObject({ SHA256: sha }).catch({ SHA256: undefined });

const civitaiFile = z.looseObject({
  name: z.string().optional().catch(undefined),
  type: z.string().optional().catch(undefined),
  primary: z.boolean().optional().catch(undefined),
  hashes: hashes.optional(),
});

const versionObject = z.looseObject({
  id,
  modelId: id,
  files: z.array(z.unknown()).optional().catch(undefined),
});

const cmInfo = z.looseObject({ ModelId: id, VersionId: id, Hashes: hashes.optional() });

const metadataJson = z.looseObject({
  sha256: sha,
  civitai: versionObject.optional().catch(undefined),
  comfyui_dl: z.looseObject({ modelId: id, versionId: id }).optional().catch(undefined),
});

/** Drops undefined fields so results compare and serialise cleanly. */
function ids(sha256: string | undefined, modelId: number | undefined, versionId: number | undefined): SidecarIds {
  return {
    ...(sha256 ? { sha256 } : {}),
    ...(modelId ? { modelId } : {}),
    ...(versionId ? { versionId } : {}),
  };
}

/**
 * The SHA-256 of the file the sidecar describes: a version can hold several files (model, VAE, config), so
 * prefer the one with this file name, then the primary one, then the first model file.
 */
function fileSha256(files: readonly unknown[] | undefined, fileName: string | undefined): string | undefined {
  const parsed = (files ?? []).map((file) => civitaiFile.safeParse(file)).flatMap((result) => (result.success ? [result.data] : []));
  const chosen =
    (fileName ? parsed.find((file) => file.name === fileName) : undefined) ??
    parsed.find((file) => file.primary === true) ??
    parsed.find((file) => file.type === 'Model') ??
    parsed[0];
  return chosen?.hashes?.SHA256;
}

export function idsFromCivitaiHelper(json: unknown, fileName?: string): SidecarIds {
  const parsed = versionObject.safeParse(json);
  if (!parsed.success) return {};
  return ids(fileSha256(parsed.data.files, fileName), parsed.data.modelId, parsed.data.id);
}

export function idsFromStabilityMatrix(json: unknown): SidecarIds {
  const parsed = cmInfo.safeParse(json);
  if (!parsed.success) return {};
  return ids(parsed.data.Hashes?.SHA256, parsed.data.ModelId, parsed.data.VersionId);
}

export function idsFromMetadataJson(json: unknown): SidecarIds {
  const parsed = metadataJson.safeParse(json);
  if (!parsed.success) return {};
  const { civitai, comfyui_dl: ours } = parsed.data;
  return ids(parsed.data.sha256, civitai?.modelId ?? ours?.modelId, civitai?.id ?? ours?.versionId);
}
