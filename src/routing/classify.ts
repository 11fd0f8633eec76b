// Which ComfyUI folder a model file belongs in, judged from its tensor names, shapes and metadata alone.
// Rules run in a fixed order and the first match wins; the order matters because files contain each other's
// signatures: ControlNets carry UNet blocks, LoRAs name UNet layers, checkpoints carry a VAE and text encoders.
import {
  controlLoraRule,
  controlnetRule,
  embeddingRule,
  ipAdapterRule,
  modelPatchRule,
  motionModuleRule,
  styleModelRule,
  t2iAdapterRule,
} from './classify-adapters.js';
import { diffusionArchitecture } from './classify-diffusion.js';
import { baseFromMetadata, loraRule } from './classify-lora.js';
import { audioEncoderRule, clipRule, gligenRule, textEncoderRule, upscalerRule, vaeRule } from './classify-parts.js';
import type { Classification, Components, TensorIndex, Verdict } from './classify-types.js';
import { tensorView, type TensorView } from './classify-view.js';

type Rule = (v: TensorView, metadata: Readonly<Record<string, string>>) => Verdict | undefined;

/** Prefixes under which a checkpoint stores its diffusion network (ComfyUI `unet_prefix_from_state_dict`). */
const CHECKPOINT_PREFIXES = ['model.diffusion_model.', 'model.model.', 'net.', 'model.'];
/** Also tried for diffusion-only files: BFL/ComfyUI exports with a bare `diffusion_model.`, and no prefix. */
const DIFFUSION_PREFIXES = [...CHECKPOINT_PREFIXES, 'diffusion_model.', ''];

const diffusionRule: Rule = (v) => {
  for (const prefix of DIFFUSION_PREFIXES) {
    if (prefix !== '' && !v.startsWith(prefix)) continue;
    const found = diffusionArchitecture(v.under(prefix));
    if (!found) continue;
    const parts = bundledParts(v);
    const bundled = CHECKPOINT_PREFIXES.includes(prefix) && (parts.vae || parts.textEncoders.length > 0);
    const where = prefix ? `under ${prefix}` : 'without prefix';
    const contents = bundled
      ? `with ${[parts.vae ? 'a VAE' : '', ...parts.textEncoders].filter(Boolean).join(', ')}`
      : 'no VAE or text encoder in the file';
    return {
      kind: bundled ? 'checkpoint' : 'diffusion_model',
      folder: bundled ? 'checkpoints' : 'diffusion_models',
      confidence: 'high',
      architecture: found.architecture,
      baseModelGuess: found.baseModelGuess,
      signals: [...found.signals, `diffusion network ${where}, ${contents}`],
      components: { unet: true, ...parts },
    };
  }
  return undefined;
};

/** The VAE and text encoders a checkpoint bundles next to its diffusion network. */
function bundledParts(v: TensorView): Pick<Components, 'vae' | 'textEncoders'> {
  const encoders = new Set<string>();
  for (const name of v.names) {
    if (name.startsWith('cond_stage_model.transformer.')) encoders.add('clip-l');
    else if (name.startsWith('cond_stage_model.model.')) encoders.add('open-clip-h');
    else if (/^conditioner\.embedders\.\d+\.transformer\./.test(name)) encoders.add('clip-l');
    else if (/^conditioner\.embedders\.\d+\.model\./.test(name)) encoders.add('clip-g');
    else {
      const named = /^text_encoders\.([^.]+)\./.exec(name)?.[1];
      if (named) encoders.add(named.replace(/_/g, '-').replace(/^t5xxl$/, 't5-xxl'));
    }
  }
  return { vae: v.startsWith('first_stage_model.') || v.startsWith('vae.'), textEncoders: [...encoders].sort() };
}

/** Rule 20 of the routing table: no tensor signature matched, but trainer metadata names an adapter type. */
const metadataRule: Rule = (_v, metadata) => {
  const architecture = metadata['modelspec.architecture']?.trim() ?? '';
  const network = metadata.ss_network_module?.trim() ?? '';
  const base = baseFromMetadata(metadata);
  const common = { confidence: 'medium' as const, architecture: base?.architecture ?? null, baseModelGuess: base?.baseModelGuess ?? null };
  if (architecture.endsWith('/textual-inversion')) {
    return { ...common, kind: 'embedding', folder: 'embeddings', signals: [`metadata modelspec.architecture = ${architecture}`] };
  }
  if (architecture.endsWith('/lora') || network !== '') {
    const signal = network ? `metadata ss_network_module = ${network}` : `metadata modelspec.architecture = ${architecture}`;
    return { ...common, kind: 'lora', folder: 'loras', signals: [signal] };
  }
  return undefined;
};

const RULES: readonly Rule[] = [
  controlLoraRule,
  modelPatchRule,
  controlnetRule,
  t2iAdapterRule,
  styleModelRule,
  loraRule,
  ipAdapterRule,
  motionModuleRule,
  embeddingRule,
  diffusionRule,
  vaeRule,
  clipRule,
  textEncoderRule,
  gligenRule,
  audioEncoderRule,
  upscalerRule,
  metadataRule,
];

const NO_COMPONENTS: Components = { unet: false, vae: false, textEncoders: [] };

export function classifyTensors(index: TensorIndex, container: Classification['container'] = 'safetensors'): Classification {
  const view = tensorView(index.tensors);
  // Some trainers write empty strings for keys they do not fill: treat them as absent.
  const metadata = Object.fromEntries(Object.entries(index.metadata).filter(([, value]) => value.trim() !== ''));
  for (const rule of RULES) {
    const verdict = rule(view, metadata);
    if (verdict) {
      return {
        container,
        kind: verdict.kind,
        folder: verdict.folder,
        alternatives: verdict.alternatives ?? [],
        architecture: verdict.architecture,
        baseModelGuess: verdict.baseModelGuess,
        components: { ...NO_COMPONENTS, ...verdict.components },
        confidence: verdict.confidence,
        signals: verdict.signals,
      };
    }
  }
  return {
    container,
    kind: 'unknown',
    folder: null,
    alternatives: [],
    architecture: null,
    baseModelGuess: null,
    components: NO_COMPONENTS,
    confidence: 'low',
    signals: [`no known signature among ${view.names.length} tensors`],
  };
}
