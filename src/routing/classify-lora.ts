// LoRA and LyCORIS files (kohya, diffusers/PEFT, LoHa, LoKr, DoRA, OFT, full diffs) and their base model.
import type { Verdict } from './classify-types.js';
import type { TensorView } from './classify-view.js';

const ADAPTER_SUFFIXES = [
  '.lora_down.weight', '.lora_up.weight', '.lora_mid.weight',
  '.lora_A.weight', '.lora_B.weight', '.lora_A.default.weight', '.lora_B.default.weight', '.lora_A', '.lora_B',
  '.lora.down.weight', '.lora.up.weight', '_lora.down.weight', '_lora.up.weight',
  '.lora_linear_layer.down.weight', '.lora_linear_layer.up.weight',
  '.hada_w1_a', '.hada_w1_b', '.hada_w2_a', '.hada_w2_b',
  '.lokr_w1', '.lokr_w2', '.lokr_w1_a', '.lokr_w1_b', '.lokr_w2_a', '.lokr_w2_b',
  '.oft_blocks',
];
const ADAPTER_PREFIXES = ['lora_unet_', 'lora_te_', 'lora_te1_', 'lora_te2_', 'lora_te3_', 'lora_transformer_', 'lora_prior_', 'lycoris_'];

export function isAdapterKey(name: string): boolean {
  return ADAPTER_SUFFIXES.some((suffix) => name.endsWith(suffix)) || ADAPTER_PREFIXES.some((prefix) => name.startsWith(prefix));
}

const isDiffKey = (name: string) => name.endsWith('.diff') || name.endsWith('.diff_b');

function algorithm(v: TensorView): string {
  if (v.some((name) => name.includes('.hada_w'))) return 'LoHa';
  if (v.some((name) => name.includes('.lokr_w'))) return 'LoKr';
  if (v.some((name) => name.endsWith('.oft_blocks'))) return 'OFT';
  if (v.some((name) => name.endsWith('.dora_scale'))) return 'DoRA';
  if (v.some((name) => name.includes('.lora_A') || name.includes('.lora_B'))) return 'LoRA (diffusers/PEFT)';
  if (v.some((name) => name.includes('lora_down') || name.includes('lora.down'))) return 'LoRA';
  return 'full-weight diff';
}

/** The input width of an adapted layer: the down/A matrix in-dim (LoHa w1_b, LoKr w1×w2 products). */
function adaptedInputWidth(v: TensorView, layer: (name: string) => boolean): number | undefined {
  for (const name of v.names) {
    if (!layer(name)) continue;
    if (/(lora_down|lora_A|lora\.down|lora_linear_layer\.down)(\.default)?\.weight$|\.hada_w1_b$/.test(name)) return v.dim(name, 1);
    if (name.endsWith('.lokr_w1')) {
      const w2 = v.dim(name.replace(/lokr_w1$/, 'lokr_w2'), 1);
      const w1 = v.dim(name, 1);
      if (w1 !== undefined && w2 !== undefined) return w1 * w2;
    }
  }
  return undefined;
}

interface Base {
  readonly architecture: string;
  readonly baseModelGuess: string | null;
  readonly signal: string;
}

const SD_BY_CONTEXT: Readonly<Record<number, readonly [string, string]>> = {
  768: ['sd15', 'SD 1.5'],
  1024: ['sd2', 'SD 2.x'],
  2048: ['sdxl', 'SDXL 1.0'],
  1280: ['sdxl-refiner', 'SDXL 1.0'],
};
const WAN_BY_WIDTH: Readonly<Record<number, string>> = { 1536: 'wan-1.3b', 5120: 'wan-14b', 3072: 'wan-5b' };

function baseFromTensors(v: TensorView): Base | undefined {
  if (v.some((name) => name.includes('individual_token_refiner'))) {
    return { architecture: 'hunyuan-video', baseModelGuess: 'Hunyuan Video', signal: 'adapts txt_in.individual_token_refiner (HunyuanVideo)' };
  }
  if (v.some((name) => /double_blocks|single_blocks|single_transformer_blocks/.test(name))) {
    return { architecture: 'flux1', baseModelGuess: 'Flux.1', signal: 'adapts Flux double/single blocks' };
  }
  if (v.some((name) => name.includes('joint_blocks'))) {
    return { architecture: 'sd3', baseModelGuess: null, signal: 'adapts joint_blocks (SD3)' };
  }
  const crossK = adaptedInputWidth(v, (name) => /blocks[._]\d+[._]cross_attn[._]k\b/.test(name));
  if (crossK !== undefined && WAN_BY_WIDTH[crossK]) {
    return { architecture: WAN_BY_WIDTH[crossK], baseModelGuess: 'Wan Video', signal: `adapts Wan cross_attn.k, width ${crossK}` };
  }
  const context = adaptedInputWidth(v, (name) => /attn2[._]to_k/.test(name));
  const sd = SD_BY_CONTEXT[context ?? 0];
  if (sd) return { architecture: sd[0], baseModelGuess: sd[1], signal: `adapts attn2.to_k with in-width ${context}` };
  const te2 = adaptedInputWidth(v, (name) => name.startsWith('lora_te2_') && /self_attn_[kq]_proj/.test(name));
  if (te2 === 1280) return { architecture: 'sdxl', baseModelGuess: 'SDXL 1.0', signal: 'adapts two text encoders (CLIP-L + bigG)' };
  const te = adaptedInputWidth(v, (name) => name.startsWith('lora_te_'));
  const teBase = SD_BY_CONTEXT[te ?? 0];
  if (teBase && te !== 2048) return { architecture: teBase[0], baseModelGuess: teBase[1], signal: `adapts a text encoder of width ${te}` };
  return undefined;
}

const METADATA_BASES: readonly (readonly [RegExp, string, string | null])[] = [
  [/^(sd_v1|stable-diffusion-v1)/, 'sd15', 'SD 1.5'],
  [/^(sd_v2|stable-diffusion-v2)/, 'sd2', 'SD 2.x'],
  [/^(sdxl|stable-diffusion-xl)/, 'sdxl', 'SDXL 1.0'],
  [/^(sd3|stable-diffusion-3)/, 'sd3', null],
  [/^(flux1|flux-1)/, 'flux1', 'Flux.1'],
  [/^chroma/, 'chroma', 'Chroma'],
  [/^(lumina2|lumina-2)/, 'lumina2', 'Lumina'],
];

/** kohya's `ss_base_model_version` or SAI `modelspec.architecture`: a hint, used only when tensors are silent. */
export function baseFromMetadata(metadata: Readonly<Record<string, string>>): Base | undefined {
  for (const key of ['ss_base_model_version', 'modelspec.architecture']) {
    const value = metadata[key]?.trim().toLowerCase();
    if (!value) continue;
    const found = METADATA_BASES.find(([pattern]) => pattern.test(value));
    if (found) return { architecture: found[1], baseModelGuess: found[2], signal: `metadata ${key} = ${value}` };
  }
  return undefined;
}

function adaptedTextEncoders(v: TensorView): string[] {
  const encoders = new Set<string>();
  for (const name of v.names) {
    const kohya = /^lora_(te\d?)_/.exec(name)?.[1];
    if (kohya) encoders.add(kohya);
    const diffusers = /^(text_encoder(?:_\d)?)\./.exec(name)?.[1];
    if (diffusers) encoders.add(diffusers);
  }
  return [...encoders].sort();
}

export function loraRule(v: TensorView, metadata: Readonly<Record<string, string>>): Verdict | undefined {
  const adapterKeys = v.count(isAdapterKey);
  const allDiffs = v.names.length > 0 && v.names.every((name) => isDiffKey(name) || name.endsWith('.alpha'));
  if (adapterKeys === 0 && !allDiffs) return undefined;
  const kind = algorithm(v);
  const fromTensors = baseFromTensors(v);
  const fromMetadata = baseFromMetadata(metadata);
  const base = fromTensors ?? fromMetadata;
  const signals = [`${adapterKeys || v.names.length} adapter tensors (${kind})`];
  if (base) signals.push(base.signal);
  if (fromTensors && fromMetadata && fromTensors.architecture !== fromMetadata.architecture) {
    signals.push(`metadata says ${fromMetadata.architecture}; tensors win`);
  }
  const motion = v.some((name) => name.includes('motion_modules'));
  const textEncoders = adaptedTextEncoders(v);
  return {
    kind: 'lora',
    folder: motion ? 'animatediff_motion_lora' : 'loras',
    confidence: 'high',
    architecture: base?.architecture ?? null,
    baseModelGuess: base?.baseModelGuess ?? null,
    signals: motion ? [...signals, 'adapts AnimateDiff motion modules'] : signals,
    components: { unet: v.some((name) => !/^(lora_te\d?_|text_encoder)/.test(name)), textEncoders },
  };
}
