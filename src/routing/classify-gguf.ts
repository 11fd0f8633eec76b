// GGUF files in ComfyUI: ComfyUI-GGUF loads diffusion models from the diffusion_models dirs (`unet_gguf`) and
// text encoders from the text_encoders dirs (`clip_gguf`), telling them apart by `general.architecture`.
// Diffusion GGUFs keep their safetensors tensor names, so the safetensors rules also apply to them.
import { classifyTensors } from './classify.js';
import type { Classification, TensorShape } from './classify-types.js';

/** A GGUF header as the classifier needs it (structurally what gguf-header.ts produces). */
export interface GgufIndex {
  readonly metadata: ReadonlyMap<string, unknown>;
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>;
}

/** Architectures ComfyUI-GGUF accepts for its diffusion-model loader (`IMG_ARCH_LIST`). */
const DIFFUSION_ARCHITECTURES: Readonly<Record<string, string | null>> = {
  flux: 'Flux.1', sd1: 'SD 1.5', sdxl: 'SDXL 1.0', sd3: null, aura: 'AuraFlow', hidream: 'HiDream', cosmos: null,
  ltxv: 'LTXV', hyvid: 'Hunyuan Video', wan: 'Wan Video', lumina2: 'Lumina', qwen_image: 'Qwen',
};
/** llama.cpp architectures used as text encoders (ComfyUI-GGUF `TXT_ARCH_LIST` and close relatives). */
const TEXT_ARCHITECTURES = new Set(['t5', 't5encoder', 'llama', 'qwen2', 'qwen2vl', 'qwen3', 'gemma2', 'gemma3', 'mistral']);

export function classifyGguf(header: GgufIndex): Classification {
  const declared = header.metadata.get('general.architecture');
  const architecture = typeof declared === 'string' ? declared.trim().toLowerCase() : '';
  if (TEXT_ARCHITECTURES.has(architecture)) {
    return {
      container: 'gguf', kind: 'text_encoder', folder: 'text_encoders', alternatives: [], architecture, baseModelGuess: null,
      components: { unet: false, vae: false, textEncoders: [architecture] }, confidence: 'high',
      signals: [`general.architecture = ${architecture} (text model)`],
    };
  }
  const tensors = torchShapes(header);
  const fromTensors = classifyTensors({ tensors, metadata: stringMetadata(header.metadata) }, 'gguf');
  const signal = architecture ? `general.architecture = ${architecture}` : 'no general.architecture';
  if (fromTensors.folder !== null) return { ...fromTensors, signals: [...fromTensors.signals, signal] };
  if (architecture in DIFFUSION_ARCHITECTURES) {
    return {
      container: 'gguf', kind: 'diffusion_model', folder: 'diffusion_models', alternatives: [], architecture,
      baseModelGuess: DIFFUSION_ARCHITECTURES[architecture] ?? null,
      components: { unet: true, vae: false, textEncoders: [] }, confidence: 'medium',
      signals: [`${signal} (a ComfyUI-GGUF diffusion architecture); tensor names not recognised`],
    };
  }
  return { ...fromTensors, signals: [...fromTensors.signals, signal] };
}

/** ComfyUI-GGUF stores the original shape of reshaped tensors under `comfy.gguf.orig_shape.<name>`. */
function torchShapes(header: GgufIndex): Map<string, TensorShape> {
  return new Map(
    [...header.tensors].map(([name, tensor]) => [name, { shape: originalShape(header.metadata.get(`comfy.gguf.orig_shape.${name}`)) ?? tensor.shape }]),
  );
}

function originalShape(value: unknown): readonly number[] | undefined {
  if (typeof value !== 'object' || value === null || !('items' in value) || !Array.isArray(value.items)) return undefined;
  const items: unknown[] = value.items;
  return items.every((item): item is number => typeof item === 'number') ? items : undefined;
}

function stringMetadata(metadata: GgufIndex['metadata']): Record<string, string> {
  return Object.fromEntries([...metadata].filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
