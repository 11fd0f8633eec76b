// Where one model file of a workflow stands, from the facts the daemon gathered about it: found where ComfyUI
// looks (present), fetchable from CivitAI or Hugging Face by its URL or its hash (missing), or neither
// (unresolved, with what to do). Pure.
import type { Result } from 'neverthrow';
import type { WorkflowModel, WorkflowModelJson } from '../ipc/protocol.js';
import type { UrlKind } from './url-kind.js';

/** What CivitAI answered for a model's hash. */
export type HashLookup =
  | { readonly kind: 'found'; readonly modelId: number; readonly versionId: number; readonly fileId: number }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'failed'; readonly message: string };

/** Where a file would land: its path (as events name paths) and whether sanitising changed its name. */
export interface Landing {
  readonly path: string;
  readonly name: string;
  readonly renamed: boolean;
}

export interface ModelFacts {
  /** Where ComfyUI finds the file (as events name paths), or null. */
  readonly foundAt: string | null;
  /** Where it would land, or why no place can be given (no folder known, a folder key that is no model folder). */
  readonly landing: Result<Landing, string>;
  readonly urlKind: UrlKind;
  readonly hashLookup: HashLookup | null;
  /** The configured CivitAI site, for the page of a version found by hash. */
  readonly civitaiUrl: string;
}

/** What `get` asks `add` for. */
export type Fetch = { readonly ref: string } | { readonly version: number; readonly file: number };

export type Verdict = Pick<WorkflowModelJson, 'status' | 'path' | 'url' | 'source' | 'civitai' | 'reason' | 'warnings'> & {
  readonly fetch: Fetch | null;
};

const fetchable = (kind: UrlKind): kind is Extract<UrlKind, { kind: 'civitai' | 'huggingface' }> => kind.kind === 'civitai' || kind.kind === 'huggingface';

/** Only a file that is not there and has no URL comfyui-dl can fetch is worth asking CivitAI about by its hash. */
export function needsHashLookup(model: WorkflowModel, foundAt: string | null, urlKind: UrlKind): boolean {
  return foundAt === null && !fetchable(urlKind) && model.hash !== undefined && model.hash.trim() !== '' && model.directory !== null;
}

function nodesOf(model: WorkflowModel): string {
  const nodes = [...new Set(model.usedBy.map((use) => `${use.nodeType} (node ${use.nodeId})`))];
  return nodes.length > 0 ? nodes.join(', ') : 'no node';
}

export function judgeModel(model: WorkflowModel, facts: ModelFacts): Verdict {
  const warnings: string[] = [];
  if (model.usedBy.length > 0 && model.usedBy.every((use) => !use.active)) warnings.push('only muted or bypassed nodes use it');
  const base = { url: model.url ?? null, source: null, civitai: null, warnings, fetch: null };
  if (facts.foundAt !== null) return { ...base, status: 'present', path: facts.foundAt, reason: null };

  const landing = facts.landing;
  if (landing.isErr()) {
    const reason = model.directory === null
      ? `no folder is known for it: ${nodesOf(model)} is not a loader comfyui-dl knows, and the workflow's models list does not name it; put it in the folder that node reads from`
      : landing.error;
    return { ...base, status: 'unresolved', path: null, reason };
  }
  const at = landing.value.path;
  if (landing.value.renamed) {
    warnings.push(`comfyui-dl does not write some characters of this name: it lands as ${landing.value.name}, which the loader will not find until the workflow names it so`);
  }
  const kind = facts.urlKind;
  if (fetchable(kind)) return { ...base, status: 'missing', path: at, source: kind.kind, reason: null, fetch: { ref: model.url! } };

  const lookup = facts.hashLookup;
  if (lookup?.kind === 'found') {
    const page = new URL(`/models/${lookup.modelId}?modelVersionId=${lookup.versionId}`, facts.civitaiUrl).href;
    return {
      ...base, status: 'missing', path: at, url: page, source: 'civitai', reason: null,
      civitai: { modelId: lookup.modelId, versionId: lookup.versionId, fileId: lookup.fileId },
      fetch: { version: lookup.versionId, file: lookup.fileId },
    };
  }
  const hash = `${model.hashType ?? 'hash'} ${model.hash ?? ''}`;
  const reason = lookup?.kind === 'failed'
    ? `could not look its ${hash} up on CivitAI (${lookup.message}); try again later, or put the file at ${at}`
    : kind.kind === 'other'
      ? `comfyui-dl fetches from CivitAI and Hugging Face only: download it from ${model.url} and put it at ${at}`
      : lookup?.kind === 'unknown'
        ? `CivitAI knows no file with the ${hash}, and the workflow gives no URL: find it and put it at ${at}`
        : `the workflow gives no URL or hash for it: find it and put it at ${at}`;
  return { ...base, status: 'unresolved', path: at, reason };
}
