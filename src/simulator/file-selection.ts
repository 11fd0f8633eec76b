// Which file `/api/download/models/:id?type=&format=&size=&fp=&quantType=&fileId=` resolves to, after CivitAI's
// getPrimaryFile: preferences score each file, and any explicit preference the winner lacks is a 404.
import { z } from 'zod';
import type { SimFile, SimVersion } from './world.js';

const MODEL_FILE_TYPES = [
  'Model', 'Text Encoder', 'Vision Encoder', 'Pruned Model', 'Negative', 'Training Data', 'VAE', 'Config', 'Archive',
  'UNet', 'Diffusion Model', 'CLIPVision', 'ControlNet', 'Workflow', 'Upscaler', 'Enhancement LoRA', 'Other',
] as const;
const PRIMARY_TYPES: ReadonlySet<string> = new Set(['Model', 'Pruned Model', 'Diffusion Model', 'UNet']);

export const downloadQuerySchema = z.object({
  type: z.enum(MODEL_FILE_TYPES).optional(),
  format: z.enum(['SafeTensor', 'PickleTensor', 'GGUF', 'Diffusers', 'Core ML', 'ONNX', 'Other']).optional(),
  size: z.enum(['full', 'pruned']).optional(),
  fp: z.string().max(64).optional(),
  quantType: z.string().optional(),
  fileId: z.coerce.number().int().positive().optional(),
});
export type DownloadQuery = z.infer<typeof downloadQuerySchema>;

const DEFAULT_PREFERENCES = { format: 'SafeTensor', size: 'pruned', fp: 'fp16', quantType: 'Q4_K_M' };
const WEIGHTS = { format: 100, size: 10, fp: 1, quantType: 0.5 } as const;
const PRIMARY_TYPE_BONUS = 1000;

function score(file: SimFile, preferences: typeof DEFAULT_PREFERENCES): number {
  let total = PRIMARY_TYPES.has(file.type) ? PRIMARY_TYPE_BONUS : 0;
  for (const key of Object.keys(WEIGHTS) as (keyof typeof WEIGHTS)[]) {
    if (file.metadata[key] === preferences[key]) total += WEIGHTS[key];
  }
  return total;
}

/** The file to serve, or undefined for CivitAI's 404 "File not found". */
export function selectFile(version: SimVersion, query: DownloadQuery): SimFile | undefined {
  if (query.fileId !== undefined) return version.files.find((file) => file.id === query.fileId);
  const requested = { format: query.format, size: query.size, fp: query.fp, quantType: query.quantType };
  const explicit = Object.entries(requested).filter((entry): entry is [keyof typeof WEIGHTS, string] => entry[1] !== undefined);
  if (query.type === undefined && explicit.length === 0) return version.primaryFile;

  const candidates = query.type === undefined ? version.files : version.files.filter((file) => file.type === query.type);
  const preferences = { ...DEFAULT_PREFERENCES, ...Object.fromEntries(explicit) };
  let best: SimFile | undefined;
  for (const file of candidates) {
    if (!best || score(file, preferences) > score(best, preferences)) best = file;
  }
  if (!best) return undefined;
  const chosen = best;
  return explicit.every(([key, value]) => chosen.metadata[key] === value) ? chosen : undefined;
}
