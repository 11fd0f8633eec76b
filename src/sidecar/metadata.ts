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
  /** The CivitAI model-version object exactly as received; `{}` when the file is not from CivitAI. */
  readonly civitai: Readonly<Record<string, unknown>>;
  readonly comfyui_dl: ComfyuiDlSection;
}

export interface SidecarInput {
  /** Absolute path of the model file. */
  readonly filePath: string;
  readonly size: number;
  readonly importedAt: Date;
  readonly sha256: string | null;
  /** CivitAI model-version object (as from /model-versions/:id or by-hash), or null. */
  readonly version: Readonly<Record<string, unknown>> | null;
  /** Model-level data when known (/models/:id): tags and description are not in the version object. */
  readonly model?: { readonly tags?: readonly unknown[] | null; readonly description?: string | null } | null;
  readonly preview?: { readonly path: string; readonly nsfwLevel: number } | null;
  readonly route: RouteDecision;
  readonly decidedAt: Date;
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

export function buildSidecar(input: SidecarInput): MetadataSidecar {
  const version = input.version ?? {};
  const versionModel = record(version.model) ?? {};
  const stem = modelStem(forwardSlashes(input.filePath));
  const sha256 = normalizeSha256(input.sha256);
  const { route } = input;
  return {
    file_name: stem,
    model_name: text(versionModel.name) ?? stem,
    file_path: forwardSlashes(input.filePath),
    size: input.size,
    modified: input.importedAt.getTime() / 1000,
    sha256,
    base_model: text(version.baseModel) ?? route.baseModel ?? 'Unknown',
    preview_url: input.preview ? forwardSlashes(input.preview.path) : '',
    preview_nsfw_level: input.preview?.nsfwLevel ?? 0,
    from_civitai: input.version !== null,
    tags: tagNames(input.model?.tags ?? (Array.isArray(versionModel.tags) ? versionModel.tags : null)),
    modelDescription: input.model?.description ?? text(versionModel.description) ?? '',
    sub_type: subType(route),
    hash_status: sha256 ? 'completed' : 'pending',
    notes: '',
    usage_tips: '{}',
    civitai: version,
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

/** Fields people edit in Lora-Manager (and similar tools): an existing non-empty value always stays. */
const USER_TEXT_FIELDS = ['notes', 'model_name'] as const;
/** Fields whose fresh value is worse when empty or a placeholder. */
const PLACEHOLDERS: Readonly<Record<string, readonly unknown[]>> = {
  base_model: ['', 'Unknown'],
  preview_url: ['', null],
  modelDescription: [''],
};
/** Inside `civitai`, fields users add by hand (Lora-Manager custom images). */
const CIVITAI_USER_FIELDS = ['customImages'] as const;

const hasCivitaiIdentity = (value: unknown) => positiveId(record(value)?.id) !== null;

/**
 * Our fresh sidecar laid over one found on disk. Unknown keys survive, user fields survive, and nothing known
 * is replaced by something emptier: an empty CivitAI object, an unknown hash or base model, a missing preview.
 */
export function mergeSidecar(existing: Readonly<Record<string, unknown>> | null, fresh: MetadataSidecar): Record<string, unknown> {
  if (!existing) return { ...fresh };
  const merged: Record<string, unknown> = { ...existing, ...fresh };
  for (const field of USER_TEXT_FIELDS) {
    if (text(existing[field]) && !(field === 'model_name' && existing[field] === existing.file_name)) merged[field] = existing[field];
  }
  if (typeof existing.usage_tips === 'string' && existing.usage_tips.trim() !== '{}' && existing.usage_tips.trim() !== '') {
    merged.usage_tips = existing.usage_tips;
  }
  for (const [field, empty] of Object.entries(PLACEHOLDERS)) {
    if (empty.includes(fresh[field as keyof MetadataSidecar]) && existing[field] !== undefined && !empty.includes(existing[field])) {
      merged[field] = existing[field];
    }
  }
  if (fresh.preview_url === '' && typeof existing.preview_nsfw_level === 'number') merged.preview_nsfw_level = existing.preview_nsfw_level;
  if (typeof existing.modified === 'number' && existing.modified > 0) merged.modified = existing.modified;

  const sha256 = fresh.sha256 || normalizeSha256(existing.sha256);
  merged.sha256 = sha256;
  merged.hash_status = sha256 ? 'completed' : (existing.hash_status ?? fresh.hash_status);

  merged.tags = [...new Set([...tagNames(Array.isArray(existing.tags) ? existing.tags : []), ...fresh.tags])];
  merged.civitai = mergeCivitai(record(existing.civitai), fresh.civitai);
  merged.from_civitai = hasCivitaiIdentity(merged.civitai) || existing.from_civitai === true || fresh.from_civitai;
  const ours = record(existing.comfyui_dl);
  merged.comfyui_dl = ours ? { ...ours, ...withKnownIds(fresh.comfyui_dl, ours) } : fresh.comfyui_dl;
  return merged;
}

function mergeCivitai(existing: Record<string, unknown> | undefined, fresh: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!existing) return fresh;
  if (!hasCivitaiIdentity(fresh)) return existing;
  const merged: Record<string, unknown> = { ...fresh };
  for (const field of CIVITAI_USER_FIELDS) {
    if (existing[field] !== undefined && fresh[field] === undefined) merged[field] = existing[field];
  }
  const words = [existing.trainedWords, fresh.trainedWords].flatMap((list) => (Array.isArray(list) ? list : []));
  if (words.length > 0) merged.trainedWords = [...new Set(words.filter((word) => typeof word === 'string'))];
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
