// `<stem>.metadata.json` in ComfyUI-Lora-Manager's schema (the de-facto ComfyUI sidecar; Lora-Manager keeps
// unknown keys, so our own `comfyui_dl` section travels safely), and merging with a sidecar already on disk.
import type { RouteDecision } from '../routing/decide.js';
import { modelStem } from './names.js';

export const SIDECAR_SCHEMA_VERSION = 1;

/** Where the file went and why: the routing decision, as recorded next to the file. */
export interface PlacementProvenance {
  readonly reason: string;
  readonly folder: string | null;
  readonly kind: string;
  readonly architecture: string | null;
  readonly declaredType: string | null;
  readonly confidence: string;
  readonly flagged: string | null;
  readonly signals: readonly string[];
  /** ISO 8601. */
  readonly decidedAt: string;
}

export interface ComfyuiDlSection {
  readonly schema: number;
  readonly modelId: number | null;
  readonly versionId: number | null;
  readonly placement: PlacementProvenance;
}

export interface MetadataSidecar {
  readonly file_name: string;
  readonly model_name: string;
  readonly file_path: string;
  readonly size: number;
  /** Import time in Unix seconds ("date added"), not the file's mtime. */
  readonly modified: number;
  /** Lowercase hex; empty while unknown. */
  readonly sha256: string;
  readonly base_model: string;
  readonly preview_url: string;
  readonly preview_nsfw_level: number;
  readonly from_civitai: boolean;
  readonly tags: readonly string[];
  readonly modelDescription: string;
  readonly sub_type: string;
  readonly hash_status: 'pending' | 'completed';
  readonly notes: string;
  /** A JSON string (Lora-Manager's format), e.g. '{"strength": 0.8}'. */
  readonly usage_tips: string;
  /**
   * The CivitAI model-version object as received, with the model-level data Lora-Manager keeps there:
   * `model.{description, tags, allowNoCredit, allowCommercialUse, allowDerivatives, allowDifferentLicense}` and
   * `creator`; `{}` when the file is not from CivitAI.
   */
  readonly civitai: Readonly<Record<string, unknown>>;
  /** Where a file that is not from CivitAI came from (a Hugging Face repo); absent for CivitAI's. */
  readonly source?: FileSource;
  readonly comfyui_dl: ComfyuiDlSection;
}

/** A file's origin outside CivitAI: the repo, the commit its bytes are from, the path in the repo, its URL. */
export interface FileSource {
  readonly type: 'huggingface';
  readonly repo: string;
  readonly revision: string;
  readonly path: string;
  readonly url: string;
}

export interface SidecarInput {
  /** Absolute path of the model file. */
  readonly filePath: string;
  readonly size: number;
  readonly importedAt: Date;
  readonly sha256: string | null;
  /** CivitAI model-version object (as from /model-versions/:id or by-hash), or null. */
  readonly version: Readonly<Record<string, unknown>> | null;
  /**
   * The model as `/api/v1/models/:id` returns it, when known: its tags, description, creator and license fields
   * are not in the version object.
   */
  readonly model?: Readonly<Record<string, unknown>> | null;
  readonly preview?: { readonly path: string; readonly nsfwLevel: number } | null;
  readonly route: RouteDecision;
  readonly decidedAt: Date;
  /** A file from elsewhere than CivitAI: its origin, and the name and tags that source gives it. */
  readonly origin?: { readonly source: FileSource; readonly modelName: string; readonly tags: readonly string[] } | null;
}

const SHA256 = /^[0-9a-f]{64}$/;
const ZERO_HASH = '0'.repeat(64);

/** Lowercase SHA-256, or '' for anything that is not one (CivitAI's scanner-less placeholder is all zeros). */
export function normalizeSha256(value: unknown): string {
  if (typeof value !== 'string') return '';
  const lower = value.trim().toLowerCase();
  return SHA256.test(lower) && lower !== ZERO_HASH ? lower : '';
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const positiveId = (value: unknown): number | null => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null);

/** Tags arrive as strings today and as `{name}` objects in older responses. */
export function tagNames(tags: readonly unknown[] | null | undefined): string[] {
  const names = (tags ?? []).map((tag) => (typeof tag === 'string' ? tag : text(record(tag)?.name))).filter((tag): tag is string => !!tag);
  return [...new Set(names)];
}

function subType(route: RouteDecision): string {
  switch (route.folder) {
    case 'checkpoints': return 'checkpoint';
    case 'diffusion_models': return 'diffusion_model';
    case 'embeddings': return 'embedding';
    case 'loras': {
      const declared = route.declaredType?.toLowerCase() ?? '';
      return ['lora', 'locon', 'dora'].includes(declared) ? declared : 'lora';
    }
    default: return route.kind;
  }
}

const forwardSlashes = (path: string) => path.replace(/\\/g, '/');

/** The license fields of a CivitAI model, which Lora-Manager reads from `civitai.model`. */
export const LICENSE_FIELDS = ['allowNoCredit', 'allowCommercialUse', 'allowDerivatives', 'allowDifferentLicense'] as const;

/**
 * The version object with the model-level data laid in, as Lora-Manager stores it: `model` gains the
 * description, the tags (as names) and the license fields, `creator` sits beside it, and `trainedWords` is
 * always a list. What the version object already carries stays as CivitAI sent it.
 */
export function withModelData(version: Readonly<Record<string, unknown>>, model: Readonly<Record<string, unknown>> | null | undefined): Record<string, unknown> {
  const words = Array.isArray(version.trainedWords) ? version.trainedWords : [];
  if (!model) return { ...version, trainedWords: words };
  const modelFields: Record<string, unknown> = {
    ...(text(model.name) ? { name: model.name } : {}),
    ...(text(model.type) ? { type: model.type } : {}),
    ...(typeof model.nsfw === 'boolean' ? { nsfw: model.nsfw } : {}),
    ...(typeof model.poi === 'boolean' ? { poi: model.poi } : {}),
    description: typeof model.description === 'string' ? model.description : '',
    tags: tagNames(Array.isArray(model.tags) ? model.tags : []),
    ...Object.fromEntries(LICENSE_FIELDS.filter((field) => model[field] !== undefined).map((field) => [field, model[field]])),
    ...(record(version.model) ?? {}),
  };
  return {
    ...version,
    model: modelFields,
    ...(record(model.creator) && version.creator === undefined ? { creator: model.creator } : {}),
    trainedWords: words,
  };
}

export function buildSidecar(input: SidecarInput): MetadataSidecar {
  const version = input.version ? withModelData(input.version, input.model) : {};
  const versionModel = record(version.model) ?? {};
  const stem = modelStem(forwardSlashes(input.filePath));
  const sha256 = normalizeSha256(input.sha256);
  const { route } = input;
  return {
    file_name: stem,
    model_name: text(versionModel.name) ?? input.origin?.modelName ?? stem,
    file_path: forwardSlashes(input.filePath),
    size: input.size,
    modified: input.importedAt.getTime() / 1000,
    sha256,
    base_model: text(version.baseModel) ?? route.baseModel ?? 'Unknown',
    preview_url: input.preview ? forwardSlashes(input.preview.path) : '',
    preview_nsfw_level: input.preview?.nsfwLevel ?? 0,
    from_civitai: input.version !== null,
    tags: tagNames(Array.isArray(versionModel.tags) ? versionModel.tags : input.origin?.tags),
    modelDescription: text(versionModel.description) ?? '',
    sub_type: subType(route),
    hash_status: sha256 ? 'completed' : 'pending',
    notes: '',
    usage_tips: '{}',
    civitai: version,
    ...(input.origin ? { source: input.origin.source } : {}),
    comfyui_dl: {
      schema: SIDECAR_SCHEMA_VERSION,
      modelId: positiveId(version.modelId),
      versionId: positiveId(version.id),
      placement: {
        reason: route.reason,
        folder: route.folder,
        kind: route.kind,
        architecture: route.architecture,
        declaredType: route.declaredType,
        confidence: route.confidence,
        flagged: route.flagged,
        signals: route.signals,
        decidedAt: input.decidedAt.toISOString(),
      },
    },
  };
}

/** Facts about the file on disk, measured now: ours win whenever we know them. */
const FILE_FACTS = ['file_name', 'file_path', 'size'] as const;
/** Values that stand for "nothing known", which fresh data may fill like an empty one. */
const PLACEHOLDERS: Readonly<Record<string, readonly unknown[]>> = {
  base_model: ['Unknown'],
  usage_tips: ['{}'],
};
/** Inside `civitai`, what users add by hand (Lora-Manager's custom images): kept even over other CivitAI data. */
const CIVITAI_USER_FIELDS = ['customImages'] as const;

const hasCivitaiIdentity = (value: unknown) => positiveId(record(value)?.id) !== null;

/** Nothing there to keep: absent, null, blank text, an empty list or object. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  const object = record(value);
  return object !== undefined && Object.keys(object).length === 0;
}

/** Every key of `existing` stays; a key fresh data knows fills it only where it is empty (objects key by key). */
function fillEmpty(existing: Readonly<Record<string, unknown>>, fresh: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(fresh)) {
    const held = existing[key];
    const heldObject = record(held);
    const freshObject = record(value);
    if (heldObject && freshObject) merged[key] = fillEmpty(heldObject, freshObject);
    else if (isEmpty(held) || PLACEHOLDERS[key]?.includes(held)) merged[key] = value;
  }
  return merged;
}

export interface MergeContext {
  /** Whether the existing sidecar's `preview_url` names a file that is there (one that is gone may be replaced). */
  readonly existingPreviewPresent?: boolean;
}

/**
 * Our fresh sidecar laid over one found on disk, which wins: no key is dropped and no non-empty value is replaced
 * (`base_model`, `notes`, `tags`, `favorite`, a `preview_url` naming a file that is there, the CivitAI block…);
 * fresh data only fills what is empty, missing or a placeholder (`Unknown`, a model name that is just the file
 * name). What is measured about the file itself (name, path, size, SHA-256) and our own `comfyui_dl` section are
 * brought up to date. A CivitAI block that names another version describes other bytes, so the fresh one replaces
 * it (custom images kept).
 */
export function mergeSidecar(existing: Readonly<Record<string, unknown>> | null, fresh: MetadataSidecar, context: MergeContext = {}): Record<string, unknown> {
  if (!existing) return { ...fresh };
  const { civitai: freshCivitai, comfyui_dl: freshOurs, ...freshRest } = fresh;
  const held: Record<string, unknown> = { ...existing };
  // A model name equal to the file name is what tools write when they know nothing better.
  if (held.model_name === held.file_name || held.model_name === fresh.file_name) delete held.model_name;
  const previewGone = typeof held.preview_url === 'string' && held.preview_url !== '' && context.existingPreviewPresent === false;
  if (previewGone && fresh.preview_url !== '') {
    delete held.preview_url;
    delete held.preview_nsfw_level;
  }
  const merged = fillEmpty(held, freshRest);
  // The level belongs to the preview it rates.
  merged.preview_nsfw_level = isEmpty(held.preview_url) && fresh.preview_url !== '' ? fresh.preview_nsfw_level : (held.preview_nsfw_level ?? fresh.preview_nsfw_level);
  for (const field of FILE_FACTS) merged[field] = fresh[field];
  // Where these bytes came from is a fact about them, like their hash.
  if (fresh.source) merged.source = fresh.source;
  // "Date added": the first import's time stays.
  merged.modified = typeof existing.modified === 'number' && existing.modified > 0 ? existing.modified : fresh.modified;

  const sha256 = fresh.sha256 || normalizeSha256(existing.sha256);
  merged.sha256 = sha256;
  merged.hash_status = sha256 ? 'completed' : (existing.hash_status ?? fresh.hash_status);

  merged.civitai = mergeCivitai(record(existing.civitai), freshCivitai);
  merged.from_civitai = hasCivitaiIdentity(merged.civitai) || existing.from_civitai === true || fresh.from_civitai;
  const ours = record(existing.comfyui_dl);
  merged.comfyui_dl = ours ? { ...ours, ...withKnownIds(freshOurs, ours) } : freshOurs;
  return merged;
}

function mergeCivitai(existing: Record<string, unknown> | undefined, fresh: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!existing) return fresh;
  const otherVersion = hasCivitaiIdentity(existing) && hasCivitaiIdentity(fresh) && existing.id !== fresh.id;
  if (!otherVersion) return fillEmpty(existing, fresh);
  const merged: Record<string, unknown> = { ...fresh };
  for (const field of CIVITAI_USER_FIELDS) {
    if (existing[field] !== undefined && fresh[field] === undefined) merged[field] = existing[field];
  }
  return merged;
}

/** Keeps ids we knew when the fresh data has none (a local file re-examined without CivitAI). */
function withKnownIds(fresh: ComfyuiDlSection, existing: Record<string, unknown>): ComfyuiDlSection {
  return {
    ...fresh,
    modelId: fresh.modelId ?? positiveId(existing.modelId),
    versionId: fresh.versionId ?? positiveId(existing.versionId),
  };
}
