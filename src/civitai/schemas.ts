// Schemas for the CivitAI REST API responses we consume. Objects are loose: unknown fields are kept, because
// the version object is later written verbatim into sidecars and CivitAI adds fields over time. Only the fields
// the daemon relies on are checked strictly; fields that come and go between API generations are optional.
import { z } from 'zod';

/** CivitAI ids are positive int4 values (the server rejects anything else). */
export const civitaiIdSchema = z.number().int().positive().max(2_147_483_647);

/** Timestamps vary in shape (some lack the `Z`), so they stay strings; see timestamps.ts to read them. */
const timestamp = z.string();

/** Hash type → uppercase hex. An open map: new keys (e.g. `SHA256_12`) appear without notice. */
export const fileHashesSchema = z.record(z.string(), z.string());

export const fileMetadataSchema = z.looseObject({
  format: z.string().nullish(),
  size: z.string().nullish(),
  fp: z.string().nullish(),
});

export const modelFileSchema = z.looseObject({
  id: civitaiIdSchema,
  name: z.string().min(1),
  sizeKB: z.number().nonnegative(),
  type: z.string(),
  // `/model-versions*` sends true/false, `/models*` sends true or nothing.
  primary: z.boolean().optional(),
  metadata: fileMetadataSchema.nullish(),
  // Some files have no hashes at all; absent and empty mean the same to us.
  hashes: fileHashesSchema.nullish().transform((hashes) => hashes ?? {}),
  downloadUrl: z.string().optional(),
  pickleScanResult: z.string().nullish(),
  virusScanResult: z.string().nullish(),
  scannedAt: timestamp.nullish(),
});

export const modelImageSchema = z.looseObject({
  url: z.string(),
  // A number today, a string enum in 2023 samples.
  nsfwLevel: z.union([z.number(), z.string()]).nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
  hash: z.string().nullish(),
  // 'image' | 'video'; absent in older samples.
  type: z.string().nullish(),
});

/** The version fields shared by `/models` entries and `/model-versions/:id`. */
const versionFields = {
  id: civitaiIdSchema,
  name: z.string(),
  baseModel: z.string(),
  baseModelType: z.string().nullish(),
  createdAt: timestamp.optional(),
  publishedAt: timestamp.nullish(),
  status: z.string().optional(),
  availability: z.string().optional(),
  trainedWords: z.array(z.string()).optional(),
  // Archived models drop files and download URLs; taken-down ones also drop images.
  files: z.array(modelFileSchema).default([]),
  images: z.array(modelImageSchema).default([]),
  downloadUrl: z.string().optional(),
};

/** A version as listed inside a model (`/models/:id`, `/models?…`). */
export const modelVersionSummarySchema = z.looseObject({
  ...versionFields,
  // Display order: 0 is shown first on the site (normally, not always, the newest).
  index: z.number().int().optional(),
});

/** The parent model as embedded in a version object. */
export const versionModelSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  nsfw: z.boolean().optional(),
  poi: z.boolean().optional(),
  mode: z.string().nullish(),
});

/** A version as returned by `/model-versions/:id` and the by-hash endpoints. */
export const modelVersionSchema = z.looseObject({
  ...versionFields,
  modelId: civitaiIdSchema,
  model: versionModelSchema,
  updatedAt: timestamp.optional(),
  air: z.string().optional(),
  usageControl: z.string().optional(),
  earlyAccessEndsAt: timestamp.nullish(),
});

export const modelCreatorSchema = z.looseObject({
  username: z.string().nullish(),
  image: z.string().nullish(),
});

/** A model as returned by `/models/:id` and as an item of `/models?…`. */
export const modelSchema = z.looseObject({
  id: civitaiIdSchema,
  name: z.string(),
  type: z.string(),
  nsfw: z.boolean().optional(),
  nsfwLevel: z.number().optional(),
  poi: z.boolean().optional(),
  // 'Archived' | 'TakenDown'; omitted when the model is healthy.
  mode: z.string().nullish(),
  description: z.string().nullish(),
  creator: modelCreatorSchema.nullish(),
  // Plain strings today, `{name}` objects in 2023 samples.
  tags: z.array(z.union([z.string(), z.looseObject({ name: z.string() })])).optional(),
  modelVersions: z.array(modelVersionSummarySchema),
});

/** `/models?…`: `nextCursor` is absent on the last page. */
export const modelSearchPageSchema = z.looseObject({
  items: z.array(modelSchema),
  metadata: z.looseObject({
    // Opaque; a numeric offset when searching by query, so accept a number too.
    nextCursor: z.union([z.string(), z.number()]).nullish(),
    nextPage: z.string().nullish(),
  }),
});

/** `POST /model-versions/by-hash`: unmatched hashes are simply missing from the array. */
export const modelVersionListSchema = z.array(modelVersionSchema);

/** The JSON body of a CivitAI error response. Everything is optional: the shapes vary by route. */
export const apiErrorBodySchema = z.looseObject({
  error: z.unknown().optional(),
  message: z.string().optional(),
  deadline: z.string().nullish(),
});

export type FileHashes = z.infer<typeof fileHashesSchema>;
export type ModelFile = z.infer<typeof modelFileSchema>;
export type ModelImage = z.infer<typeof modelImageSchema>;
export type ModelVersionSummary = z.infer<typeof modelVersionSummarySchema>;
export type ModelVersion = z.infer<typeof modelVersionSchema>;
export type Model = z.infer<typeof modelSchema>;
export type ModelSearchPage = z.infer<typeof modelSearchPageSchema>;
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;
