// ComfyUI's model folder keys, in the order its folder_paths.py registers them, plus the custom-node folders that
// CivitAI downloads commonly need. A key names a *kind* of folder; the directory on disk may carry another name
// (see folderDirNames).

export const COMFY_FOLDERS = [
  'checkpoints',
  'configs',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'latent_upscale_models',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
  'background_removal',
  'frame_interpolation',
  'geometry_estimation',
  'optical_flow',
  'detection',
  // Custom-node folders (ComfyUI_IPAdapter_plus, AnimateDiff-Evolved, Impact Pack) register these at start.
  'ipadapter',
  'animatediff_models',
  'animatediff_motion_lora',
  'ultralytics',
  'sams',
] as const;

export type ComfyFolder = (typeof COMFY_FOLDERS)[number];

/**
 * Keys ComfyUI also knows that hold no model weights (`custom_nodes`, `datasets`, `fonts`): an
 * extra_model_paths.yaml may name them, but they are never scanned for models and never receive a download.
 */
export const NON_MODEL_FOLDER_KEYS: ReadonlySet<string> = new Set(['custom_nodes', 'datasets', 'fonts']);

/**
 * The directories ComfyUI searches for a key inside its models folder, in its order: `unet` before
 * `diffusion_models`, `text_encoders` before the legacy `clip`, and `t2i_adapter` as a second ControlNet folder.
 */
const DIR_NAMES: Partial<Record<ComfyFolder, readonly string[]>> = {
  diffusion_models: ['unet', 'diffusion_models'],
  text_encoders: ['text_encoders', 'clip'],
  controlnet: ['controlnet', 't2i_adapter'],
};

export function folderDirNames(folder: ComfyFolder): readonly string[] {
  return DIR_NAMES[folder] ?? [folder];
}

/** Legacy folder key → current key, as ComfyUI's `map_legacy` (applied to extra_model_paths.yaml keys too). */
const LEGACY_KEYS: Readonly<Record<string, ComfyFolder>> = { unet: 'diffusion_models', clip: 'text_encoders' };

/** The current folder key for a (possibly legacy) key; unknown keys pass through unchanged. */
export function canonicalFolderKey(key: string): string {
  return LEGACY_KEYS[key] ?? key;
}

const KEY_OF_DIR_NAME: ReadonlyMap<string, string> = new Map(
  COMFY_FOLDERS.flatMap((folder) => folderDirNames(folder).map((name) => [name, folder] as const)),
);

/**
 * The folder key of a path relative to ComfyUI's models folder, from its first segment: `unet/a.safetensors` →
 * `diffusion_models`, `loras/x/y.safetensors` → `loras`; a name ComfyUI does not know stays as it is, and a file in
 * the models folder itself is `.`.
 */
export function folderOfModelsPath(pathInModels: string): string {
  const slash = pathInModels.indexOf('/');
  if (slash <= 0) return '.';
  const name = pathInModels.slice(0, slash);
  return KEY_OF_DIR_NAME.get(name) ?? name;
}
