// What the classifier sees (tensor names, shapes, metadata) and what it answers. Plain data only.
import type { ComfyFolder } from './folders.js';

export interface TensorShape {
  readonly dtype?: string;
  readonly shape: readonly number[];
}

export interface TensorIndex {
  readonly tensors: ReadonlyMap<string, TensorShape>;
  /** `__metadata__` (safetensors) or string-valued GGUF keys. */
  readonly metadata: Readonly<Record<string, string>>;
}

export type ModelKind =
  | 'checkpoint'
  | 'diffusion_model'
  | 'lora'
  | 'vae'
  | 'vae_approx'
  | 'text_encoder'
  | 'clip_vision'
  | 'controlnet'
  | 't2i_adapter'
  | 'control_lora'
  | 'model_patch'
  | 'style_model'
  | 'embedding'
  | 'ipadapter'
  | 'motion_module'
  | 'gligen'
  | 'hypernetwork'
  | 'audio_encoder'
  | 'upscaler'
  | 'unknown';

export type Confidence = 'high' | 'medium' | 'low';

export interface Components {
  /** The file carries (or, for an adapter, adapts) the diffusion network. */
  readonly unet: boolean;
  readonly vae: boolean;
  /** Text encoders carried or adapted, e.g. ['clip-l', 'clip-g'], ['clip-l', 't5-xxl']. */
  readonly textEncoders: readonly string[];
}

export interface Classification {
  readonly container: 'safetensors' | 'gguf';
  readonly kind: ModelKind;
  /** The ComfyUI folder key, or null when nothing in the header says where the file belongs. */
  readonly folder: ComfyFolder | null;
  /** Other folders that are plausible readings of an ambiguous header (e.g. a full CLIP: text or vision). */
  readonly alternatives: readonly ComfyFolder[];
  /** Short id such as 'sdxl', 'flux1-dev', 'wan2.1-t2v-14b', 'clip-l', 't5-v1.1-xxl', 'sd-kl-f8'. */
  readonly architecture: string | null;
  /** A CivitAI-style base model name when the tensors determine one ('SD 1.5', 'SDXL 1.0', 'Flux.1 D'). */
  readonly baseModelGuess: string | null;
  readonly components: Components;
  readonly confidence: Confidence;
  /** Human-readable evidence, most decisive first. */
  readonly signals: readonly string[];
}

/** One rule's answer before the classifier fills in defaults. */
export interface Verdict {
  readonly kind: ModelKind;
  readonly folder: ComfyFolder;
  readonly confidence: Confidence;
  readonly architecture: string | null;
  readonly baseModelGuess: string | null;
  readonly signals: readonly string[];
  readonly components?: Partial<Components>;
  readonly alternatives?: readonly ComfyFolder[];
}
