// Files that steer a diffusion model rather than being one: ControlNets and their relatives, T2I-Adapters,
// style models, IP-Adapters, AnimateDiff motion modules and textual-inversion embeddings.
import { ldmFamily } from './classify-diffusion.js';
import type { Verdict } from './classify-types.js';
import type { TensorView } from './classify-view.js';
import { isAdapterKey } from './classify-lora.js';

const high = (verdict: Omit<Verdict, 'confidence'>): Verdict => ({ ...verdict, confidence: 'high' });

export function controlLoraRule(v: TensorView): Verdict | undefined {
  if (!v.has('lora_controlnet')) return undefined;
  return high({ kind: 'control_lora', folder: 'controlnet', architecture: 'sdxl', baseModelGuess: 'SDXL 1.0', signals: ['lora_controlnet (Control-LoRA)'] });
}

export function modelPatchRule(v: TensorView): Verdict | undefined {
  const key = ['controlnet_blocks.0.y_rms.weight', 'feature_embedder.mid_layer_norm.bias'].find((name) => v.has(name));
  if (!key) return undefined;
  return high({ kind: 'model_patch', folder: 'model_patches', architecture: 'qwen-image', baseModelGuess: 'Qwen', signals: [`${key} (Qwen-Image model patch)`] });
}

const CONTROLNET_KEY = /^(control_model\.|controlnet_(cond_embedding|down_blocks|mid_block|blocks|x_embedder)|after_proj_list\.)|(^|\.)(input_hint_block|zero_convs)\./;

function controlnetBase(v: TensorView): { architecture: string | null; baseModelGuess: string | null; signal?: string } {
  if (v.some((name) => name.includes('double_blocks.'))) return { architecture: 'flux1', baseModelGuess: 'Flux.1', signal: 'Flux double_blocks' };
  if (v.has('pos_embed_input.proj.weight')) return { architecture: 'sd3', baseModelGuess: null, signal: 'pos_embed_input (SD3)' };
  if (v.has('after_proj_list.18.bias')) return { architecture: 'hunyuan-dit', baseModelGuess: 'Hunyuan 1', signal: 'after_proj_list (HunyuanDiT)' };
  const inner = v.startsWith('control_model.') ? v.under('control_model.') : v;
  const family = ldmFamily(inner, 'ControlNet UNet');
  return family.architecture === 'ldm-unet'
    ? { architecture: null, baseModelGuess: null }
    : { architecture: family.architecture, baseModelGuess: family.baseModelGuess, signal: family.signals[0] };
}

export function controlnetRule(v: TensorView): Verdict | undefined {
  const key = v.find((name) => CONTROLNET_KEY.test(name) && !isAdapterKey(name));
  if (!key) return undefined;
  const base = controlnetBase(v);
  return high({
    kind: 'controlnet',
    folder: 'controlnet',
    architecture: base.architecture,
    baseModelGuess: base.baseModelGuess,
    signals: [`ControlNet tensor ${key}`, ...(base.signal ? [base.signal] : [])],
  });
}

export function t2iAdapterRule(v: TensorView): Verdict | undefined {
  const key = ['adapter.body.0.resnets.0.block1.weight', 'body.0.in_conv.weight', 'body.0.block2.weight'].find((name) => v.has(name));
  if (!key || (key === 'body.0.block2.weight' && !v.has('conv_in.weight'))) return undefined;
  const inChannels = v.dim('conv_in.weight', 1) ?? v.dim('adapter.conv_in.weight', 1);
  const sdxl = inChannels === 256 || inChannels === 768;
  return {
    kind: 't2i_adapter',
    folder: 'controlnet',
    confidence: 'medium',
    architecture: sdxl ? 'sdxl' : null,
    baseModelGuess: sdxl ? 'SDXL 1.0' : null,
    signals: [`T2I-Adapter tensor ${key}`, ...(sdxl ? [`conv_in takes ${inChannels} channels (SDXL)`] : [])],
  };
}

export function styleModelRule(v: TensorView): Verdict | undefined {
  if (v.has('style_embedding')) return high({ kind: 'style_model', folder: 'style_models', architecture: 't2i-style', baseModelGuess: 'SD 1.5', signals: ['style_embedding (T2I style adapter)'] });
  if (v.has('redux_down.weight')) return high({ kind: 'style_model', folder: 'style_models', architecture: 'flux1-redux', baseModelGuess: 'Flux.1', signals: ['redux_down.weight (Flux Redux)'] });
  return undefined;
}

const IP_ADAPTER_CONTEXT: Readonly<Record<number, readonly [string, string]>> = {
  768: ['sd15', 'SD 1.5'],
  1024: ['sd2', 'SD 2.x'],
  2048: ['sdxl', 'SDXL 1.0'],
};

export function ipAdapterRule(v: TensorView): Verdict | undefined {
  if (!v.startsWith('image_proj.') || !v.startsWith('ip_adapter.')) return undefined;
  const context = v.dim('ip_adapter.1.to_k_ip.weight', 1);
  const [architecture, base] = IP_ADAPTER_CONTEXT[context ?? 0] ?? [null, null];
  return high({ kind: 'ipadapter', folder: 'ipadapter', architecture, baseModelGuess: base, signals: ['image_proj + ip_adapter (IP-Adapter)', `to_k_ip width ${context ?? 'unknown'}`] });
}

export function motionModuleRule(v: TensorView): Verdict | undefined {
  const key = v.find((name) => name.includes('motion_modules.') && name.includes('temporal_transformer'));
  if (!key) return undefined;
  return high({ kind: 'motion_module', folder: 'animatediff_models', architecture: 'animatediff', baseModelGuess: null, signals: [`AnimateDiff tensor ${key}`] });
}

const EMBEDDING_KEYS = /^(emb_params|clip_l|clip_g|string_to_param\..+)$/;
const EMBEDDING_WIDTHS: Readonly<Record<number, readonly [string, string]>> = {
  768: ['sd15', 'SD 1.5'],
  1024: ['sd2', 'SD 2.x'],
  1280: ['sdxl', 'SDXL 1.0'],
};

/** A handful of [tokens, width] matrices: kohya `emb_params`, SDXL `clip_l`+`clip_g`, A1111 `string_to_param.*`. */
export function embeddingRule(v: TensorView): Verdict | undefined {
  const count = v.names.length;
  if (count === 0 || count > 4 || !v.names.every((name) => v.shape(name)?.length === 2)) return undefined;
  if (count > 1 && !v.names.every((name) => EMBEDDING_KEYS.test(name))) return undefined;
  const sdxl = v.dim('clip_g', 1) === 1280;
  const width = sdxl ? 1280 : v.dim(v.names[0] ?? '', 1);
  const known = EMBEDDING_WIDTHS[width ?? 0];
  if (!known) return undefined;
  const vectors = v.dim(v.names[0] ?? '', 0);
  return high({
    kind: 'embedding',
    folder: 'embeddings',
    architecture: known[0],
    baseModelGuess: known[1],
    signals: [`${count} embedding tensor(s), ${vectors} vectors of width ${width}${sdxl ? ' (clip_l + clip_g: SDXL)' : ''}`],
  });
}
