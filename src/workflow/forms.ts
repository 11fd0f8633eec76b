// The forms a ComfyUI workflow travels in: the UI's JSON (what "Save" writes and templates ship), the API-format
// prompt JSON (what "Export (API)" writes and the server runs), and the `workflow`/`prompt` texts of a PNG ComfyUI
// saved with both embedded. Pure and free of Node modules (the desktop app reads dropped files with it); bad input
// is an error value that says what was expected.
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

/** `{name, url, directory, hash?, hash_type?}`, ComfyUI_frontend's ModelFile. */
export const modelFileSchema = z.object({
  name: z.string().min(1),
  url: z.string().optional(),
  directory: z.string().min(1),
  hash: z.string().optional(),
  hash_type: z.string().optional(),
});
export type ModelFile = z.infer<typeof modelFileSchema>;

const uiNodeSchema = z.looseObject({
  id: z.union([z.number(), z.string()]),
  type: z.string(),
  title: z.string().optional(),
  /** 0 always, 2 never (muted), 4 bypassed. */
  mode: z.number().optional(),
  widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  properties: z.looseObject({ models: z.array(z.unknown()).optional() }).optional(),
});
export type UiNode = z.infer<typeof uiNodeSchema>;

const uiWorkflowSchema = z.looseObject({
  nodes: z.array(z.unknown()),
  models: z.array(z.unknown()).optional(),
  definitions: z.looseObject({ subgraphs: z.array(z.looseObject({ nodes: z.array(z.unknown()).optional() })).optional() }).optional(),
});

const apiNodeSchema = z.looseObject({
  class_type: z.string(),
  inputs: z.record(z.string(), z.unknown()).default({}),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
export type ApiNode = z.infer<typeof apiNodeSchema>;

export interface UiWorkflow {
  readonly format: 'ui';
  readonly nodes: readonly UiNode[];
  /** Top-level `models[]` entries that parsed; see `skipped` for the others. */
  readonly models: readonly ModelFile[];
  /** What could not be read, for warnings. */
  readonly skipped: readonly string[];
}

export interface ApiWorkflow {
  readonly format: 'api';
  readonly nodes: ReadonlyMap<string, ApiNode>;
  readonly skipped: readonly string[];
}

/** What a file held: a PNG may carry both forms, and the UI form has the richer information. */
export interface ReadWorkflow {
  readonly container: 'json' | 'png';
  readonly ui?: UiWorkflow;
  readonly api?: ApiWorkflow;
}

export interface WorkflowError {
  readonly code: 'INVALID_WORKFLOW';
  readonly message: string;
}

export const invalid = (message: string): Result<never, WorkflowError> => err({ code: 'INVALID_WORKFLOW', message });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function readUi(value: unknown): UiWorkflow | undefined {
  const parsed = uiWorkflowSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const skipped: string[] = [];
  const nodes: UiNode[] = [];
  const subgraphNodes = (parsed.data.definitions?.subgraphs ?? []).flatMap((subgraph) => subgraph.nodes ?? []);
  for (const [index, raw] of [...parsed.data.nodes, ...subgraphNodes].entries()) {
    const node = uiNodeSchema.safeParse(raw);
    if (node.success) nodes.push(node.data);
    else skipped.push(`node #${index} is not a node (needs id and type)`);
  }
  const models: ModelFile[] = [];
  for (const [index, raw] of (parsed.data.models ?? []).entries()) {
    const model = modelFileSchema.safeParse(raw);
    if (model.success) models.push(model.data);
    else skipped.push(`models[${index}] lacks a name or directory`);
  }
  return { format: 'ui', nodes, models, skipped };
}

function readApi(value: unknown): ApiWorkflow | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // The body ComfyUI's /prompt takes wraps the prompt: {prompt, client_id, extra_data}.
  const record = value as Record<string, unknown>;
  const prompt = 'prompt' in record && typeof record.prompt === 'object' && record.prompt !== null ? (record.prompt as Record<string, unknown>) : record;
  const nodes = new Map<string, ApiNode>();
  const skipped: string[] = [];
  for (const [id, raw] of Object.entries(prompt)) {
    const node = apiNodeSchema.safeParse(raw);
    if (node.success) nodes.set(id, node.data);
    else skipped.push(`"${id}" is not a node (needs class_type)`);
  }
  return nodes.size > 0 ? { format: 'api', nodes, skipped } : undefined;
}

function fromJson(value: unknown, container: 'json'): Result<ReadWorkflow, WorkflowError> {
  const ui = readUi(value);
  if (ui) return ok({ container, ui });
  const api = readApi(value);
  if (api) return ok({ container, api });
  return invalid('this JSON is not a ComfyUI workflow: expected the UI format (with "nodes") or the API format (node ids mapping to {class_type, inputs}).');
}

/** A workflow from the `workflow` and `prompt` texts of a PNG. */
export function workflowFromPngTexts(texts: ReadonlyMap<string, string>): Result<ReadWorkflow, WorkflowError> {
  const workflowText = texts.get('workflow');
  const promptText = texts.get('prompt');
  const ui = workflowText === undefined ? undefined : readUi(parseJson(workflowText));
  const api = promptText === undefined ? undefined : readApi(parseJson(promptText));
  if (!ui && !api) {
    return invalid('this PNG carries no ComfyUI workflow (no readable "workflow" or "prompt" text chunk); it may have been re-saved by a program that drops them.');
  }
  return ok({ container: 'png', ...(ui ? { ui } : {}), ...(api ? { api } : {}) });
}

/** A workflow from the bytes of a `.json` file (UTF-8; TextDecoder drops a byte-order mark). */
export function workflowFromJsonBytes(bytes: Uint8Array): Result<ReadWorkflow, WorkflowError> {
  const value = parseJson(new TextDecoder('utf-8').decode(bytes));
  if (value === undefined) return invalid('the file is neither a PNG nor valid JSON; give a workflow .json (UI or API format) or a PNG saved by ComfyUI.');
  return fromJson(value, 'json');
}
