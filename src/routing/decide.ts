// Where a downloaded file goes: the header's verdict weighed against CivitAI's declared type. A confident header
// wins, because CivitAI's taxonomy is coarse for ComfyUI (a "Checkpoint" is often a bare Flux/Wan transformer);
// CivitAI decides only when the header cannot: pickles (never opened) and unreadable headers.
import { baseModelFamily } from './base-model.js';
import type { Classification, Confidence, ModelKind } from './classify-types.js';
import type { ComfyFolder } from './folders.js';
import { isHeaderError, type HeaderError } from './header-error.js';

export interface RouteInput {
  /** The classifier's verdict, why the header could not be read, or 'pickle' for files never opened. */
  readonly header: Classification | HeaderError | 'pickle';
  /** CivitAI model type: "Checkpoint", "LORA", "LoCon", "TextualInversion", "VAE", "Controlnet", … */
  readonly declaredType: string | null;
  /** CivitAI file type: "Model", "Pruned Model", "VAE", "Text Encoder", "UNet", "Diffusion Model", "Config", … */
  readonly declaredFileType?: string | null;
  readonly civitaiBaseModel?: string | null;
  readonly fileName: string;
}

/** Plain JSON: it becomes the `routing.decided` event. */
export interface RouteDecision {
  /** The ComfyUI folder key, or null when nothing names one (the file needs manual placement). */
  readonly folder: ComfyFolder | null;
  readonly kind: ModelKind;
  readonly architecture: string | null;
  readonly baseModel: string | null;
  readonly declaredType: string | null;
  readonly signals: readonly string[];
  /** One sentence for people: what was decided and why. */
  readonly reason: string;
  readonly confidence: Confidence;
  readonly flagged: 'pickle' | 'unreadable-header' | null;
  /** The header was invalid: the bytes may be truncated or corrupt, so verify the hash before placing. */
  readonly recheckHash: boolean;
}

interface Declared {
  readonly folder: ComfyFolder | null;
  readonly kind: ModelKind;
}

const BY_FILE_TYPE: Readonly<Record<string, Declared>> = {
  vae: { folder: 'vae', kind: 'vae' },
  'text encoder': { folder: 'text_encoders', kind: 'text_encoder' },
  unet: { folder: 'diffusion_models', kind: 'diffusion_model' },
  'diffusion model': { folder: 'diffusion_models', kind: 'diffusion_model' },
  config: { folder: 'configs', kind: 'unknown' },
  'training data': { folder: null, kind: 'unknown' },
  archive: { folder: null, kind: 'unknown' },
};

const BY_MODEL_TYPE: Readonly<Record<string, Declared>> = {
  checkpoint: { folder: 'checkpoints', kind: 'checkpoint' },
  textualinversion: { folder: 'embeddings', kind: 'embedding' },
  hypernetwork: { folder: 'hypernetworks', kind: 'hypernetwork' },
  lora: { folder: 'loras', kind: 'lora' },
  locon: { folder: 'loras', kind: 'lora' },
  dora: { folder: 'loras', kind: 'lora' },
  controlnet: { folder: 'controlnet', kind: 'controlnet' },
  upscaler: { folder: 'upscale_models', kind: 'upscaler' },
  vae: { folder: 'vae', kind: 'vae' },
  motionmodule: { folder: 'animatediff_models', kind: 'motion_module' },
};

const NOWHERE: Declared = { folder: null, kind: 'unknown' };

/** CivitAI's labels → folder (file type first: a VAE attached to a checkpoint version is still a VAE). */
export function declaredFolder(declaredType: string | null, declaredFileType?: string | null): Declared {
  const byFile = BY_FILE_TYPE[declaredFileType?.trim().toLowerCase() ?? ''];
  if (byFile) return byFile;
  return BY_MODEL_TYPE[declaredType?.trim().toLowerCase() ?? ''] ?? NOWHERE;
}

const KIND_LABELS: Readonly<Record<ModelKind, string>> = {
  checkpoint: 'full checkpoint',
  diffusion_model: 'diffusion model without VAE or text encoder',
  lora: 'LoRA',
  vae: 'VAE',
  vae_approx: 'TAESD preview decoder',
  text_encoder: 'text encoder',
  clip_vision: 'CLIP vision encoder',
  controlnet: 'ControlNet',
  t2i_adapter: 'T2I-Adapter',
  control_lora: 'Control-LoRA',
  model_patch: 'model patch',
  style_model: 'style model',
  embedding: 'textual-inversion embedding',
  ipadapter: 'IP-Adapter',
  motion_module: 'AnimateDiff motion module',
  gligen: 'GLIGEN model',
  hypernetwork: 'hypernetwork',
  audio_encoder: 'audio encoder',
  upscaler: 'upscaler',
  unknown: 'file of unknown kind',
};

const withArticle = (phrase: string) => `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
const describeFolder = (folder: ComfyFolder | null) => (folder ? folder : 'no folder (needs manual placement)');
const quoted = (type: string | null) => (type ? `"${type}"` : 'no type');

export function decideRoute(input: RouteInput): RouteDecision {
  const declared = declaredFolder(input.declaredType, input.declaredFileType);
  const { header } = input;
  if (header === 'pickle' || isHeaderError(header)) {
    const pickle = header === 'pickle';
    const why = pickle
      ? `${input.fileName} is a pickle, which is never opened`
      : `the file's header is unreadable (${header.code})`;
    const then = pickle ? '' : '; verify the download before placing it';
    return {
      folder: declared.folder,
      kind: declared.kind,
      architecture: null,
      baseModel: input.civitaiBaseModel?.trim() || null,
      declaredType: input.declaredType,
      signals: pickle ? ['pickle container: not opened'] : [`header ${header.code}: ${header.message}`],
      reason: `Because ${why}, CivitAI's type ${quoted(input.declaredType)} decides: ${describeFolder(declared.folder)}${then}.`,
      confidence: 'low',
      flagged: pickle ? 'pickle' : 'unreadable-header',
      recheckHash: !pickle,
    };
  }
  return decideFromHeader(input, header, declared);
}

function decideFromHeader(input: RouteInput, header: Classification, declared: Declared): RouteDecision {
  const signals = [...header.signals];
  const base = reconcileBaseModel(input.civitaiBaseModel, header);
  if (base.conflict) signals.push(base.conflict);
  const shown = withArticle(`${header.architecture ? `${header.architecture} ` : ''}${KIND_LABELS[header.kind]}`);
  const common = { architecture: header.architecture, baseModel: base.value, declaredType: input.declaredType, flagged: null, recheckHash: false };

  if (header.folder === null) {
    if (!declared.folder && TAESD_NAME.test(input.fileName.toLowerCase())) {
      return {
        ...common, folder: 'vae_approx', kind: 'vae_approx', signals: [...signals, 'TAESD file name'], confidence: 'low',
        reason: `The header matches no known model layout, but ${input.fileName} is named like a TAESD preview decoder: vae_approx.`,
      };
    }
    return {
      ...common,
      folder: declared.folder,
      kind: declared.kind,
      signals,
      reason: `The header matches no known model layout, so CivitAI's type ${quoted(input.declaredType)} decides: ${describeFolder(declared.folder)}.`,
      confidence: 'low',
    };
  }

  const agrees = declared.folder === header.folder;
  if (header.confidence === 'high') {
    if (declared.folder && !agrees) signals.push(`CivitAI says ${quoted(input.declaredType)} (${declared.folder}); the header wins`);
    const reason = agrees || !declared.folder
      ? `The header shows ${shown}${declared.folder ? `, as CivitAI's type ${quoted(input.declaredType)} says` : ''}: ${header.folder}.`
      : `The header shows ${shown}, so it goes to ${header.folder} although CivitAI calls it ${quoted(input.declaredType)}.`;
    return { ...common, folder: header.folder, kind: header.kind, signals, reason, confidence: 'high' };
  }

  // Medium or low: several readings are plausible; CivitAI (or the file name) picks among them.
  const plausible = [header.folder, ...header.alternatives];
  const chosen = declared.folder && plausible.includes(declared.folder) ? declared.folder : fileNameFolder(input.fileName, plausible) ?? header.folder;
  const confirmed = chosen === declared.folder;
  return {
    ...common,
    folder: chosen,
    kind: header.kind,
    signals,
    reason: confirmed
      ? `The header suggests ${shown} and CivitAI's type ${quoted(input.declaredType)} confirms it: ${chosen}.`
      : declared.folder
        ? `The header suggests ${shown}; CivitAI's type ${quoted(input.declaredType)} does not fit, so the header's reading wins: ${chosen}.`
        : `The header suggests ${shown} and CivitAI's type ${quoted(input.declaredType)} names no folder: ${chosen}.`,
    confidence: confirmed ? 'high' : 'medium',
  };
}

/** ComfyUI lists these as preview decoders (bare TAESD files carry no telling tensor names). */
const TAESD_NAME = /^(taesd|taesdxl|taesd3|taef1)_(encoder|decoder)\./;

/** A full CLIP (text + vision) is ambiguous; a name mentioning vision or IP-Adapter settles it. */
function fileNameFolder(fileName: string, plausible: readonly ComfyFolder[]): ComfyFolder | null {
  return plausible.includes('clip_vision') && /vision|image_encoder|ip-?adapter/i.test(fileName) ? 'clip_vision' : null;
}

/**
 * CivitAI's base model is the more precise one (it alone tells Pony or Illustrious from SDXL); the tensors only
 * check its family. A contradiction is reported, not silently resolved.
 */
function reconcileBaseModel(civitai: string | null | undefined, header: Classification): { value: string | null; conflict?: string } {
  const declared = civitai?.trim() || null;
  if (!declared) return { value: header.baseModelGuess };
  const declaredFamily = baseModelFamily(declared);
  const headerFamily = baseModelFamily(header.baseModelGuess);
  if (declaredFamily && headerFamily && declaredFamily !== headerFamily && !COMPATIBLE.has(`${declaredFamily}/${headerFamily}`)) {
    return { value: declared, conflict: `base model conflict: CivitAI says "${declared}", the tensors look like ${header.baseModelGuess}` };
  }
  return { value: declared };
}

/** Families whose files are built on another's tensors (Chroma is a Flux.1 derivative). */
const COMPATIBLE = new Set(['chroma/flux1']);
