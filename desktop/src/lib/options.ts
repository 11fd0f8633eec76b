// Filter choices of the CivitAI browser: CivitAI's own enum values (its API rejects others).

export const MODEL_TYPES = [
  'Checkpoint', 'LORA', 'LoCon', 'DoRA', 'TextualInversion', 'Hypernetwork', 'Controlnet', 'Upscaler', 'VAE',
  'MotionModule', 'Poses', 'Wildcards', 'Workflows', 'Detection', 'Other',
] as const;

/** The common ones first; CivitAI has many more, which a search still finds without a filter. */
export const BASE_MODELS = [
  'SD 1.5', 'SDXL 1.0', 'Pony', 'Illustrious', 'NoobAI', 'Flux.1 D', 'Flux.1 S', 'Flux.1 Krea', 'Flux.1 Kontext',
  'Flux.2 D', 'Qwen', 'Chroma', 'HiDream', 'ZImageTurbo', 'Wan Video 2.2 T2V-A14B', 'Hunyuan Video', 'LTXV', 'Other',
] as const;

export const SORTS = ['Highest Rated', 'Most Downloaded', 'Newest'] as const;

/** Friendlier names for CivitAI's type values. */
export const TYPE_LABELS: Readonly<Record<string, string>> = {
  Checkpoint: 'Checkpoint',
  LORA: 'LoRA',
  LoCon: 'LyCORIS',
  DoRA: 'DoRA',
  TextualInversion: 'Embedding',
  Hypernetwork: 'Hypernetwork',
  Controlnet: 'ControlNet',
  Upscaler: 'Upscaler',
  VAE: 'VAE',
  MotionModule: 'Motion',
  Poses: 'Poses',
  Wildcards: 'Wildcards',
  Workflows: 'Workflow',
  Detection: 'Detection',
  Other: 'Other',
};

export function typeLabel(type: string | null | undefined): string {
  if (!type) return '';
  return TYPE_LABELS[type] ?? type;
}
