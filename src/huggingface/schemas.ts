// What we rely on in the Hub's answers, checked at the boundary (the hub's JS client passes JSON through as is).
import { z } from 'zod';

export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/i).transform((hex) => hex.toLowerCase());
export const commitIdSchema = z.string().regex(/^[0-9a-f]{40}$/);
export const gitOidSchema = z.string().regex(/^[0-9a-f]{40}$/);

export const pathInfoSchema = z.looseObject({
  path: z.string(),
  type: z.string(),
  oid: gitOidSchema.optional(),
  size: z.number().int().nonnegative(),
  lfs: z.looseObject({ oid: sha256Schema, size: z.number().int().nonnegative() }).optional(),
  xetHash: z.string().optional(),
  lastCommit: z.looseObject({ id: commitIdSchema, title: z.string(), date: z.coerce.date() }).optional(),
});
export type PathInfo = z.infer<typeof pathInfoSchema>;

/** @huggingface/hub's modelInfo output with the extra fields we ask for. */
export const modelInfoSchema = z.looseObject({
  name: z.string(),
  private: z.boolean(),
  gated: z.union([z.literal(false), z.literal('auto'), z.literal('manual')]),
  downloads: z.number().optional(),
  likes: z.number().optional(),
  updatedAt: z.coerce.date().optional(),
  task: z.string().nullish(),
  sha: commitIdSchema.optional(),
  tags: z.array(z.string()).optional(),
  library_name: z.string().nullish(),
  author: z.string().nullish(),
});
