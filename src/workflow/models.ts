// Every model file a workflow loads, with the nodes that need it and the ComfyUI folder it belongs in: from loader
// widgets (by the table of core loaders), from `models[]` lists (top-level and per node) with their URLs and hashes,
// from `embedding:<name>` in prompt text, and from file-like values of nodes we do not know. Pure.
import { canonicalFolderKey } from '../routing/folders.js';
import { LOADERS, loaderInputs, MODEL_FILE_EXTENSIONS, TEXT_WIDGETS, VAE_LOADER_BUILTINS } from './loaders.js';
import { modelFileSchema, type ApiNode, type ModelFile, type ReadWorkflow, type UiNode } from './forms.js';
import { classifyModelUrl, type UrlKind, type UrlKindOptions } from './url-kind.js';

export interface NodeUse {
  readonly nodeId: string;
  readonly nodeType: string;
  readonly title?: string;
  /** The input (widget) that names the file; `widgets_values[<i>]` for nodes we do not know. */
  readonly input: string;
  /** False for a muted or bypassed node: the file is not needed to run the workflow as it is. */
  readonly active: boolean;
}

export interface WorkflowModel {
  /** The exact name the loader looks up inside its folder (it may contain a subfolder: `flux/ae.safetensors`). */
  readonly name: string;
  /** ComfyUI's folder key (`checkpoints`, `loras`, `text_encoders`…); null when a node we do not know names it. */
  readonly directory: string | null;
  readonly usedBy: readonly NodeUse[];
  readonly url?: string;
  readonly urlKind: UrlKind;
  readonly hash?: string;
  readonly hashType?: string;
  /** An embedding named without its extension: ComfyUI tries `.safetensors`, `.pt` and `.bin`. */
  readonly extensionOptional?: boolean;
}

export interface WorkflowModels {
  readonly models: readonly WorkflowModel[];
  readonly warnings: readonly string[];
}

/** `embedding:<name>` in prompt text; the name stops at whitespace, a comma, a bracket or a weight's colon. */
const EMBEDDING = /embedding:([^\s,()[\]:]+)/gi;

interface Draft {
  name: string;
  directory: string | null;
  usedBy: NodeUse[];
  url?: string;
  hash?: string;
  hashType?: string;
  extensionOptional?: boolean;
}

class Collector {
  private readonly drafts = new Map<string, Draft>();
  readonly warnings: string[] = [];

  private draft(name: string, directory: string | null): Draft {
    const key = `${directory ?? ''}\0${name}`;
    let draft = this.drafts.get(key);
    if (!draft) {
      draft = { name, directory, usedBy: [] };
      this.drafts.set(key, draft);
    }
    return draft;
  }

  use(name: string, directory: string | null, use: NodeUse, extras: Partial<Pick<Draft, 'extensionOptional'>> = {}): void {
    const draft = this.draft(name, directory === null ? null : canonicalFolderKey(directory));
    if (!draft.usedBy.some((known) => known.nodeId === use.nodeId && known.input === use.input)) draft.usedBy.push(use);
    if (extras.extensionOptional) draft.extensionOptional = true;
  }

  listed(file: ModelFile, where: string): void {
    const draft = this.draft(file.name, canonicalFolderKey(file.directory));
    if (file.url !== undefined && file.url !== '') {
      if (draft.url !== undefined && draft.url !== file.url) this.warnings.push(`${file.name}: ${where} gives another URL than before; keeping the first`);
      draft.url ??= file.url;
    }
    if (file.hash !== undefined && file.hash !== '') {
      draft.hash ??= file.hash;
      draft.hashType ??= file.hash_type;
    }
  }

  /** Files a node we do not know names: its folder is only known if a `models[]` entry lists the same name. */
  finish(options: UrlKindOptions): WorkflowModel[] {
    const byName = new Map<string, Draft[]>();
    for (const draft of this.drafts.values()) byName.set(draft.name, [...(byName.get(draft.name) ?? []), draft]);
    const result: WorkflowModel[] = [];
    for (const draft of this.drafts.values()) {
      if (draft.directory === null) {
        const placed = (byName.get(draft.name) ?? []).filter((other) => other.directory !== null);
        if (placed.length > 0) {
          for (const other of placed) for (const use of draft.usedBy) if (!other.usedBy.includes(use)) other.usedBy.push(use);
          continue;
        }
      }
      result.push({
        name: draft.name,
        directory: draft.directory,
        usedBy: draft.usedBy,
        ...(draft.url !== undefined ? { url: draft.url } : {}),
        urlKind: classifyModelUrl(draft.url, options),
        ...(draft.hash !== undefined ? { hash: draft.hash } : {}),
        ...(draft.hashType !== undefined ? { hashType: draft.hashType } : {}),
        ...(draft.extensionOptional ? { extensionOptional: true } : {}),
      });
    }
    return result;
  }
}

/** A value a custom loader's combo would hold: one line naming a model file, not prompt text. */
function looksLikeFileName(value: string): boolean {
  return value.length <= 255 && !/[\n\r\t]|, |embedding:/i.test(value) && value.trim() === value && MODEL_FILE_EXTENSIONS.test(value);
}

function embeddingsIn(text: string): { name: string; extensionOptional: boolean }[] {
  return [...text.matchAll(EMBEDDING)].map((match) => {
    const name = (match[1] ?? '').replace(/[.]+$/, '');
    return { name, extensionOptional: !MODEL_FILE_EXTENSIONS.test(name) };
  }).filter((embedding) => embedding.name !== '');
}

/** What a node's inputs name, whatever the format: by input name, or by widget position for UI arrays. */
interface NodeView {
  readonly id: string;
  readonly type: string;
  readonly title?: string;
  readonly active: boolean;
  /** Input name → value for named inputs; position → value for a UI array. */
  readonly values: readonly { readonly key: string; readonly position?: number; readonly value: unknown }[];
  readonly listed: readonly unknown[];
}

function collectNode(node: NodeView, out: Collector): void {
  const use = (input: string): NodeUse => ({
    nodeId: node.id,
    nodeType: node.type,
    ...(node.title !== undefined ? { title: node.title } : {}),
    input,
    active: node.active,
  });
  const known = loaderInputs(node.type);
  const claimed = new Set<unknown>();
  for (const input of known) {
    const entry = node.values.find((value) => value.key === input.input || value.position === input.position);
    if (!entry || typeof entry.value !== 'string' || entry.value === '') continue;
    claimed.add(entry);
    if (node.type === 'VAELoader' && VAE_LOADER_BUILTINS.has(entry.value)) continue;
    out.use(entry.value, input.directory, use(input.input));
  }
  for (const entry of node.values) {
    if (typeof entry.value !== 'string' || claimed.has(entry)) continue;
    for (const embedding of embeddingsIn(entry.value)) out.use(embedding.name, 'embeddings', use(entry.key), { extensionOptional: embedding.extensionOptional });
    if (!LOADERS[node.type] && !TEXT_WIDGETS[node.type] && looksLikeFileName(entry.value)) out.use(entry.value, null, use(entry.key));
  }
  for (const [index, raw] of node.listed.entries()) {
    const file = modelFileSchema.safeParse(raw);
    if (!file.success) {
      out.warnings.push(`node ${node.id} (${node.type}): properties.models[${index}] lacks a name or directory`);
      continue;
    }
    out.listed(file.data, `node ${node.id}`);
    const input = known.find((loader) => node.values.some((value) => (value.key === loader.input || value.position === loader.position) && value.value === file.data.name));
    out.use(file.data.name, file.data.directory, use(input?.input ?? 'properties.models'));
  }
}

function uiView(node: UiNode): NodeView {
  const widgets = node.widgets_values;
  const known = LOADERS[node.type]?.widgets ?? TEXT_WIDGETS[node.type] ?? [];
  const values = Array.isArray(widgets)
    ? widgets.map((value, position) => {
        const widget = known[position];
        const key = widget === undefined ? `widgets_values[${position}]` : typeof widget === 'string' ? widget : widget.input;
        return { key, position, value };
      })
    : Object.entries(widgets ?? {}).map(([key, value]) => ({ key, value }));
  return {
    id: String(node.id),
    type: node.type,
    ...(node.title !== undefined ? { title: node.title } : {}),
    active: node.mode !== 2 && node.mode !== 4,
    values,
    listed: node.properties?.models ?? [],
  };
}

function apiView(id: string, node: ApiNode): NodeView {
  return {
    id,
    type: node.class_type,
    ...(node._meta?.title !== undefined ? { title: node._meta.title } : {}),
    active: true,
    // Links to other nodes are [nodeId, output] arrays, never strings, so only literal values remain.
    values: Object.entries(node.inputs).map(([key, value]) => ({ key, value })),
    listed: [],
  };
}

/** The model files of a workflow read by readWorkflow. */
export function listWorkflowModels(workflow: ReadWorkflow, options: UrlKindOptions = {}): WorkflowModels {
  const out = new Collector();
  if (workflow.ui) {
    for (const node of workflow.ui.nodes) collectNode(uiView(node), out);
    for (const file of workflow.ui.models) out.listed(file, 'the workflow\'s models list');
    out.warnings.push(...workflow.ui.skipped);
  }
  if (workflow.api) {
    for (const [id, node] of workflow.api.nodes) collectNode(apiView(id, node), out);
    out.warnings.push(...workflow.api.skipped);
  }
  return { models: out.finish(options), warnings: out.warnings };
}
