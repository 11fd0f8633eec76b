// ComfyUI model folder keys (folder_paths.py), plus the custom-node folders that CivitAI downloads commonly
// need. A key names a *kind* of folder; the directory on disk may carry a legacy name (see FOLDER_DIR_NAMES).

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
  // Custom-node folders (ComfyUI_IPAdapter_plus, AnimateDiff-Evolved, Impact Pack).
  'ipadapter',
  'animatediff_models',
  'animatediff_motion_lora',
  'ultralytics',
  'sams',
] as const;

export type ComfyFolder = (typeof COMFY_FOLDERS)[number];

/**
 * Directory names ComfyUI scans for a folder key, current name first. ComfyUI maps the legacy `unet` and `clip`
 * names onto the current keys everywhere (`map_legacy`) and scans `t2i_adapter` as a second ControlNet directory.
 */
const DIR_NAMES: Partial<Record<ComfyFolder, readonly string[]>> = {
  diffusion_models: ['diffusion_models', 'unet'],
  text_encoders: ['text_encoders', 'clip'],
  controlnet: ['controlnet', 't2i_adapter'],
};

export function folderDirNames(folder: ComfyFolder): readonly string[] {
  return DIR_NAMES[folder] ?? [folder];
}

/** Legacy folder key → current key, as ComfyUI's `map_legacy` (also applied to extra_model_paths.yaml keys). */
const LEGACY_KEYS: Readonly<Record<string, ComfyFolder>> = { unet: 'diffusion_models', clip: 'text_encoders' };

/** The current folder key for a (possibly legacy) key; unknown keys pass through unchanged. */
export function canonicalFolderKey(key: string): string {
  return LEGACY_KEYS[key] ?? key;
}
