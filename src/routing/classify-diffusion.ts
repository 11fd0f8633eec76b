// Diffusion-network signatures (ComfyUI model_detection.py order, newer families from diffusers/SwarmUI).
// Each detector sees the tensors with the wrapper prefix (e.g. `model.diffusion_model.`) already removed.
import type { TensorView } from './classify-view.js';

export interface ArchitectureMatch {
  readonly architecture: string;
  readonly baseModelGuess: string | null;
  readonly signals: readonly string[];
}

type Detector = (v: TensorView) => ArchitectureMatch | undefined;

const match = (architecture: string, baseModelGuess: string | null, ...signals: string[]): ArchitectureMatch => ({
  architecture,
  baseModelGuess,
  signals,
});

const sd3: Detector = (v) => {
  if (!v.has('joint_blocks.0.context_block.attn.qkv.weight')) return undefined;
  const depth = (v.dim('x_embedder.proj.weight', 0) ?? 0) / 64;
  const signal = `joint_blocks (MMDiT), depth ${depth || 'unknown'}`;
  if (depth === 38) return match('sd3.5-large', 'SD 3.5 Large', signal);
  if (v.has('joint_blocks.0.x_block.attn2.qkv.weight')) return match('sd3.5-medium', 'SD 3.5 Medium', signal, 'MMDiT-X attn2');
  return match('sd3', depth === 24 ? 'SD 3' : null, signal);
};

const stableCascade: Detector = (v) => {
  if (!v.has('clf.1.weight')) return undefined;
  const stage = v.has('clip_txt_mapper.weight') ? 'c' : v.has('clip_mapper.weight') ? 'b' : null;
  return match(stage ? `stable-cascade-${stage}` : 'stable-cascade', 'Stable Cascade', 'clf.1.weight (Stable Cascade)');
};

const hunyuanVideo: Detector = (v) =>
  v.has('txt_in.individual_token_refiner.blocks.0.norm1.weight')
    ? match('hunyuan-video', 'Hunyuan Video', 'txt_in.individual_token_refiner (HunyuanVideo, checked before Flux)')
    : undefined;

const FLUX2_SIZES: Readonly<Record<number, readonly [string, string]>> = {
  36864: ['flux2-dev', 'Flux.2 D'],
  18432: ['flux2-klein-4b', 'Flux.2 Klein 4B'],
  24576: ['flux2-klein-9b', 'Flux.2 Klein 9B'],
};

const flux2: Detector = (v) => {
  if (!v.has('double_stream_modulation_img.lin.weight')) return undefined;
  const [architecture, base] = FLUX2_SIZES[v.dim('double_stream_modulation_img.lin.weight', 0) ?? 0] ?? ['flux2', null];
  return match(architecture, base, 'double_stream_modulation_img (Flux.2)');
};

const flux1: Detector = (v) => {
  if (!v.has('double_blocks.0.img_attn.norm.key_norm.scale')) return undefined;
  if (v.has('distilled_guidance_layer.norms.0.scale')) {
    const radiance = v.startsWith('nerf_blocks.');
    return match(radiance ? 'chroma-radiance' : 'chroma', 'Chroma', 'double_blocks + distilled_guidance_layer (Chroma)');
  }
  if (!v.has('img_in.weight')) return undefined;
  const signal = 'double_blocks + img_in (Flux.1 transformer)';
  const inChannels = v.dim('img_in.weight', 1);
  if (inChannels === 384) return match('flux1-fill', 'Flux.1 D', signal, 'img_in takes 384 channels (Fill)');
  if (inChannels === 128) return match('flux1-control', 'Flux.1 D', signal, 'img_in takes 128 channels (Depth/Canny)');
  return v.has('guidance_in.in_layer.weight')
    ? match('flux1-dev', 'Flux.1 D', signal, 'guidance_in present (dev)')
    : match('flux1-schnell', 'Flux.1 S', signal, 'no guidance_in (schnell)');
};

const WAN_SIZES: Readonly<Record<number, string>> = { 1536: '1.3b', 5120: '14b', 3072: '5b' };

const wan: Detector = (v) => {
  if (!v.has('head.modulation')) return undefined;
  const width = v.dim('head.modulation', -1) ?? 0;
  const inChannels = v.dim('patch_embedding.weight', 1);
  const size = WAN_SIZES[width] ?? `${width}w`;
  const mode = v.startsWith('vace_')
    ? 'vace'
    : v.has('img_emb.proj.0.bias') || inChannels === 36
      ? 'i2v'
      : inChannels === 48
        ? 'ti2v'
        : 't2v';
  const version = size === '5b' ? 'wan2.2' : 'wan2.1';
  const signals = [`head.modulation (Wan), width ${width}`, `patch_embedding takes ${inChannels ?? '?'} channels (${mode})`];
  if (size === '14b') signals.push('Wan 2.2 A14B has the same tensors as Wan 2.1 14B');
  const base =
    size === '5b' ? 'Wan Video 2.2 TI2V-5B'
    : mode === 't2v' && size === '14b' ? 'Wan Video 14B t2v'
    : mode === 't2v' && size === '1.3b' ? 'Wan Video 1.3B t2v'
    : 'Wan Video';
  return match(`${version}-${mode}-${size}`, base, ...signals);
};

const LDM_CONTEXT: Readonly<Record<number, readonly [string, string]>> = {
  768: ['sd15', 'SD 1.5'],
  1024: ['sd2', 'SD 2.x'],
  2048: ['sdxl', 'SDXL 1.0'],
  1280: ['sdxl-refiner', 'SDXL 1.0'],
};
const ADM_WIDTH: Readonly<Record<number, number>> = { 2816: 2048, 2560: 1280 };

/** SD 1.x / 2.x / SDXL by cross-attention width (attn2.to_k in-dim), or SDXL's label_emb width. */
export function ldmFamily(v: TensorView, layout: string): ArchitectureMatch {
  const attn2 = v.find((name) => /transformer_blocks\.\d+\.attn2\.to_k\.weight$/.test(name));
  const labelWidth = v.dim('label_emb.0.0.weight', 1) ?? v.dim('add_embedding.linear_1.weight', 1);
  const context = (attn2 ? v.dim(attn2, 1) : undefined) ?? ADM_WIDTH[labelWidth ?? 0];
  const signals = [`${layout}, cross-attention width ${context ?? 'unknown'}`];
  if (v.some((name) => name.includes('.time_stack.'))) return match('svd', 'SVD', ...signals, 'temporal layers (time_stack)');
  const inChannels = v.dim('input_blocks.0.0.weight', 1) ?? v.dim('conv_in.weight', 1);
  if (inChannels === 9) signals.push('9 input channels (inpainting)');
  if (inChannels === 8) signals.push('8 input channels (instruct-pix2pix)');
  const [architecture, base] = LDM_CONTEXT[context ?? 0] ?? ['ldm-unet', null];
  return match(architecture, base, ...signals);
}

const ldmUnet: Detector = (v) => (v.has('input_blocks.0.0.weight') ? ldmFamily(v, 'LDM UNet (input_blocks)') : undefined);

const diffusersUnet: Detector = (v) =>
  v.has('conv_in.weight') && v.some((name) => /^down_blocks\.\d+\.attentions\./.test(name)) && !v.some((name) => name.includes('motion_modules.'))
    ? ldmFamily(v, 'diffusers UNet (down_blocks)')
    : undefined;

const diffusersFlux: Detector = (v) => {
  if (!v.has('x_embedder.weight') || !v.startsWith('single_transformer_blocks.')) return undefined;
  return v.has('time_text_embed.guidance_embedder.linear_1.weight')
    ? match('flux1-dev', 'Flux.1 D', 'diffusers Flux transformer', 'guidance embedder present (dev)')
    : match('flux1-schnell', 'Flux.1 S', 'diffusers Flux transformer', 'no guidance embedder (schnell)');
};

const diffusersSd3: Detector = (v) =>
  v.has('pos_embed.proj.weight') && v.has('transformer_blocks.0.attn.add_q_proj.weight')
    ? match('sd3', null, 'diffusers SD3 transformer')
    : undefined;

/** A detector that needs one signature tensor. */
const signature = (tensor: string, architecture: string, base: string | null, label: string): Detector => (v) =>
  v.has(tensor) ? match(architecture, base, `${tensor} (${label})`) : undefined;

const ltxv: Detector = (v) => {
  if (!v.has('adaln_single.emb.timestep_embedder.linear_1.bias')) return undefined;
  return v.has('pos_embed.proj.bias') ? match('pixart', null, 'adaln_single + pos_embed (PixArt, diffusers)') : match('ltxv', 'LTXV', 'adaln_single (LTX-Video)');
};

/** In ComfyUI's order: the first match wins. */
const DETECTORS: readonly Detector[] = [
  sd3,
  stableCascade,
  signature('transformer.rotary_pos_emb.inv_freq', 'stable-audio', null, 'Stable Audio'),
  signature('double_layers.0.attn.w1q.weight', 'auraflow', 'AuraFlow', 'AuraFlow'),
  signature('mlp_t5.0.weight', 'hunyuan-dit', 'Hunyuan 1', 'HunyuanDiT'),
  hunyuanVideo,
  flux2,
  flux1,
  signature('t5_yproj.weight', 'mochi', 'Mochi', 'Mochi'),
  ltxv,
  signature('genre_embedder.weight', 'ace-step', null, 'ACE-Step'),
  signature('t_block.1.weight', 'pixart', null, 'PixArt'),
  signature('blocks.block0.blocks.0.block.attn.to_q.0.weight', 'cosmos', null, 'Cosmos'),
  signature('cap_embedder.1.weight', 'lumina2', 'Lumina', 'Lumina 2'),
  wan,
  signature('latent_in.weight', 'hunyuan3d', null, 'Hunyuan3D'),
  signature('caption_projection.0.linear.weight', 'hidream', 'HiDream', 'HiDream'),
  signature('blocks.0.mlp.layer1.weight', 'cosmos-predict2', null, 'Cosmos Predict2'),
  signature('time_caption_embed.timestep_embedder.linear_1.bias', 'omnigen2', null, 'OmniGen2'),
  signature('txt_norm.weight', 'qwen-image', 'Qwen', 'Qwen-Image'),
  ldmUnet,
  diffusersUnet,
  diffusersFlux,
  diffusersSd3,
];

export function diffusionArchitecture(v: TensorView): ArchitectureMatch | undefined {
  for (const detect of DETECTORS) {
    const found = detect(v);
    if (found) return found;
  }
  return undefined;
}
