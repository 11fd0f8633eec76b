// Stand-alone model parts and auxiliary networks: VAEs, text encoders, CLIP vision, GLIGEN, audio encoders and
// upscalers. These rules run after the diffusion-network rules, so a checkpoint never reaches them.
import type { Verdict } from './classify-types.js';
import type { TensorView } from './classify-view.js';

const TEXT_ENCODER_PREFIXES = ['cond_stage_model.', 'conditioner.embedders.', 'text_encoders.', 'text_model.'];

/** Drops a prefix every tensor shares (e.g. a VAE saved as `first_stage_model.*`). */
function unwrap(v: TensorView, prefixes: readonly string[]): { view: TensorView; prefix: string | null } {
  const prefix = prefixes.find((p) => v.names.length > 0 && v.names.every((name) => name.startsWith(p)));
  return prefix ? { view: v.under(prefix), prefix } : { view: v, prefix: null };
}

interface VaeMatch {
  readonly architecture: string;
  readonly baseModelGuess: string | null;
  readonly signal: string;
}

function vaeArchitecture(v: TensorView): VaeMatch | undefined {
  if (v.has('decoder.middle.0.residual.0.gamma')) {
    return v.has('decoder.upsamples.0.upsamples.0.residual.2.weight')
      ? { architecture: 'wan2.2-vae', baseModelGuess: 'Wan Video 2.2 TI2V-5B', signal: 'Wan 2.2 VAE (48 latent channels)' }
      : { architecture: 'wan2.1-vae', baseModelGuess: 'Wan Video', signal: 'Wan 2.1 VAE' };
  }
  if (v.has('decoder.up_blocks.0.res_blocks.0.conv1.conv.weight')) return { architecture: 'ltxv-vae', baseModelGuess: 'LTXV', signal: 'LTX-Video VAE' };
  if (v.has('decoder.conv_in.conv.weight')) return { architecture: 'hunyuan-video-vae', baseModelGuess: 'Hunyuan Video', signal: 'causal 3-D VAE (HunyuanVideo)' };
  if (v.has('vquantizer.codebook.weight')) return { architecture: 'stable-cascade-stage-a', baseModelGuess: 'Stable Cascade', signal: 'vquantizer (Stable Cascade stage A)' };
  if (v.has('decoder.layers.1.layers.0.beta')) return { architecture: 'stable-audio-vae', baseModelGuess: null, signal: 'Stable Audio VAE' };
  const convIn = v.shape('decoder.conv_in.weight');
  if (!convIn) return undefined;
  const latent = convIn[1];
  const layout = v.has('decoder.up_blocks.0.resnets.0.norm1.weight') ? 'diffusers layout' : 'LDM layout';
  const signal = `decoder.conv_in takes ${latent} latent channels (${layout})`;
  if (latent === 4) return { architecture: 'sd-kl-f8', baseModelGuess: null, signal: `${signal}; SD 1.x, SD 2.x and SDXL VAEs look identical` };
  if (latent === 16 && convIn.length === 4) return { architecture: 'ae-16ch', baseModelGuess: null, signal: `${signal}; Flux.1 and SD3 share this autoencoder layout` };
  if (latent === 32 && convIn.length === 4 && v.some((name) => name.endsWith('bn.running_mean'))) {
    return { architecture: 'flux2-vae', baseModelGuess: 'Flux.2', signal: `${signal}; batch-norm statistics (Flux.2)` };
  }
  if (latent === 64) return { architecture: 'hunyuan-image-vae', baseModelGuess: null, signal };
  return { architecture: `vae-${latent ?? 'unknown'}ch`, baseModelGuess: null, signal };
}

export function vaeRule(v: TensorView): Verdict | undefined {
  if (v.some((name) => TEXT_ENCODER_PREFIXES.some((p) => name.startsWith(p)))) return undefined;
  const { view, prefix } = unwrap(v, ['first_stage_model.', 'vae.']);
  if (view.startsWith('taesd_decoder.') || view.startsWith('taesd_encoder.')) {
    return { kind: 'vae_approx', folder: 'vae_approx', confidence: 'high', architecture: 'taesd', baseModelGuess: null, signals: ['taesd_* tensors (TAESD preview decoder)'], components: { vae: true } };
  }
  const found = vaeArchitecture(view);
  if (!found) return undefined;
  const signals = prefix ? [found.signal, `every tensor under ${prefix}`] : [found.signal];
  return { kind: 'vae', folder: 'vae', confidence: 'high', architecture: found.architecture, baseModelGuess: found.baseModelGuess, signals, components: { vae: true } };
}

const VISION_BY_LAYERS: Readonly<Record<number, string>> = { 48: 'clip-vit-bigg-14', 32: 'clip-vit-h-14', 24: 'clip-vit-l-14' };

function visionArchitecture(v: TensorView): string {
  if (v.dim('vision_model.post_layernorm.weight', 0) === 1152) return 'siglip';
  const layers = (v.maxIndex(/^vision_model\.encoder\.layers\.(\d+)\./) ?? -1) + 1;
  const positions = v.dim('vision_model.embeddings.position_embedding.weight', 0);
  if (layers === 24 && positions === 577) return 'clip-vit-l-14-336';
  return VISION_BY_LAYERS[layers] ?? `clip-vision-${layers}-layers`;
}

const TEXT_BY_LAYERS: readonly (readonly [number, string])[] = [[30, 'clip-g'], [22, 'clip-h'], [0, 'clip-l']];

function clipTextArchitecture(v: TensorView): string {
  const last = v.maxIndex(/^text_model\.encoder\.layers\.(\d+)\./) ?? 0;
  return TEXT_BY_LAYERS.find(([layer]) => last >= layer)?.[1] ?? 'clip-l';
}

export function clipRule(v: TensorView): Verdict | undefined {
  const clip = unwrap(v, ['transformer.']).view;
  const vision = clip.startsWith('vision_model.encoder.layers.') || clip.startsWith('visual.transformer.resblocks.');
  const text = clip.startsWith('text_model.encoder.layers.') || (clip.startsWith('transformer.resblocks.') && clip.has('token_embedding.weight'));
  if (vision && text) {
    return {
      kind: 'text_encoder', folder: 'text_encoders', alternatives: ['clip_vision'], confidence: 'medium',
      architecture: clipTextArchitecture(clip), baseModelGuess: null,
      signals: ['both text and vision towers (full CLIP): text encoder or CLIP vision depending on use'],
      components: { textEncoders: [clipTextArchitecture(clip)] },
    };
  }
  if (vision) {
    const architecture = clip.startsWith('vision_model.') ? visionArchitecture(clip) : 'open-clip-vision';
    return { kind: 'clip_vision', folder: 'clip_vision', confidence: 'high', architecture, baseModelGuess: null, signals: ['vision tower only (CLIP vision)'] };
  }
  if (v.some((name) => /^encoder\.layer\.\d+\.layer_scale2\.lambda1$/.test(name))) {
    return { kind: 'clip_vision', folder: 'clip_vision', confidence: 'high', architecture: 'dinov2', baseModelGuess: null, signals: ['layer_scale2 (DINOv2 image encoder)'] };
  }
  if (text) {
    const architecture = clip.startsWith('text_model.') ? clipTextArchitecture(clip) : openClipText(clip);
    return textEncoder(architecture, 'text tower only (CLIP text encoder)');
  }
  return undefined;
}

function openClipText(v: TensorView): string {
  const width = v.dim('token_embedding.weight', 1);
  return width === 1280 ? 'open-clip-bigg' : width === 1024 ? 'open-clip-h' : 'clip-l';
}

const T5_SIZES: Readonly<Record<number, string>> = { 512: 'small', 768: 'base', 1024: 'large', 2048: 'xl', 4096: 'xxl' };

function t5Architecture(v: TensorView): string {
  const width = v.dim('encoder.block.0.layer.0.SelfAttention.q.weight', 1) ?? v.dim('shared.weight', 1) ?? 0;
  const vocabulary = v.dim('shared.weight', 0);
  const size = T5_SIZES[width] ?? `${width}w`;
  if (vocabulary === 256384) return `umt5-${size}`;
  if (vocabulary === 250112) return `mt5-${size}`;
  if (vocabulary === 384 || v.dim('encoder.block.0.layer.0.SelfAttention.k.weight', 0) === 384) return 'byt5-small';
  return v.has('encoder.block.0.layer.1.DenseReluDense.wi_0.weight') ? `t5-v1.1-${size}` : `t5-${size}`;
}

function llmArchitecture(v: TensorView): string {
  const hidden = v.dim('model.embed_tokens.weight', 1);
  const suffix = hidden ? `-${hidden}w` : '';
  if (v.has('model.layers.0.post_feedforward_layernorm.weight')) return v.has('model.layers.0.self_attn.q_norm.weight') ? `gemma3${suffix}` : `gemma2${suffix}`;
  if (v.has('model.layers.0.self_attn.q_norm.weight')) return `qwen3${suffix}`;
  const kBias = v.dim('model.layers.0.self_attn.k_proj.bias', 0);
  if (kBias === 256) return 'qwen2.5-3b';
  if (kBias === 512) return 'qwen2.5-7b';
  if (kBias !== undefined) return `qwen2.5${suffix}`;
  return `llama${suffix}`;
}

function textEncoder(architecture: string, signal: string): Verdict {
  return {
    kind: 'text_encoder', folder: 'text_encoders', confidence: 'high', architecture, baseModelGuess: null,
    signals: [signal], components: { textEncoders: [architecture] },
  };
}

export function textEncoderRule(v: TensorView): Verdict | undefined {
  if (v.startsWith('encoder.block.') && v.some((name) => /^encoder\.block\.\d+\.layer\.\d+\./.test(name))) {
    return textEncoder(t5Architecture(v), 'encoder.block.N.layer (T5 encoder)');
  }
  if (v.startsWith('model.layers.') && v.has('model.embed_tokens.weight')) {
    return textEncoder(llmArchitecture(v), 'model.layers + embed_tokens (LLM text encoder)');
  }
  return undefined;
}

export function gligenRule(v: TensorView): Verdict | undefined {
  const key = v.find((name) => name.includes('.fuser.'));
  if (!key) return undefined;
  return { kind: 'gligen', folder: 'gligen', confidence: 'high', architecture: 'gligen', baseModelGuess: 'SD 1.5', signals: [`GLIGEN fuser tensor ${key}`] };
}

export function audioEncoderRule(v: TensorView): Verdict | undefined {
  const wav2vec = v.has('encoder.layer_norm.bias') && v.startsWith('feature_extractor.');
  const whisper = v.has('model.encoder.embed_positions.weight');
  if (!wav2vec && !whisper) return undefined;
  const architecture = wav2vec ? 'wav2vec2' : 'whisper';
  return { kind: 'audio_encoder', folder: 'audio_encoders', confidence: 'medium', architecture, baseModelGuess: null, signals: [`${architecture} audio encoder tensors`] };
}

interface UpscalerSignature {
  readonly tensors: readonly string[];
  readonly architecture: string;
  readonly confidence: 'high' | 'medium';
}

/** spandrel's detection keys for the ESRGAN family, plus a few common other architectures. */
const UPSCALERS: readonly UpscalerSignature[] = [
  { tensors: ['model.0.weight', 'model.1.sub.0.RDB1.conv1.0.weight'], architecture: 'esrgan', confidence: 'high' },
  { tensors: ['model.0.weight', 'model.1.sub.0.RDB1.conv1x1.weight'], architecture: 'esrgan-plus', confidence: 'high' },
  { tensors: ['conv_first.weight', 'body.0.rdb1.conv1.weight', 'conv_body.weight', 'conv_last.weight'], architecture: 'real-esrgan', confidence: 'high' },
  { tensors: ['RRDB_trunk.0.RDB1.conv1.weight', 'trunk_conv.weight'], architecture: 'bsrgan', confidence: 'high' },
  { tensors: ['layers.0.residual_group.blocks.0.norm1.weight'], architecture: 'swinir', confidence: 'medium' },
  { tensors: ['block_1.c1_r.sk.weight'], architecture: 'span', confidence: 'medium' },
  { tensors: ['conv_first.weight', 'conv_last.weight'], architecture: 'upscaler', confidence: 'medium' },
];

export function upscalerRule(v: TensorView): Verdict | undefined {
  const { view } = unwrap(v, ['params_ema.', 'params.', 'module.', 'netG.']);
  const found = UPSCALERS.find((signature) => signature.tensors.every((name) => view.has(name)));
  if (!found) return undefined;
  return {
    kind: 'upscaler', folder: 'upscale_models', confidence: found.confidence, architecture: found.architecture, baseModelGuess: null,
    signals: [`${found.tensors.join(' + ')} (${found.architecture})`],
  };
}
