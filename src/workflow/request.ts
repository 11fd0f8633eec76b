// The model list a client sends to `workflow.check`: what the daemon needs of each file the workflow loads, within
// the protocol's bounds (a hostile workflow's 10 MB node title must not make the whole request fail). Pure; shared by
// the CLI and the desktop app.
import { err, ok, type Result } from 'neverthrow';
import { MAX_WORKFLOW_CHECK_BYTES, MAX_WORKFLOW_MODELS, WORKFLOW_LIMITS as L, type WorkflowModel } from '../ipc/protocol.js';
import type { ReadWorkflow } from './forms.js';
import { listWorkflowModels, type WorkflowModel as ListedModel } from './models.js';

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const within = (text: string | undefined, max: number): text is string => text !== undefined && text.length <= max;

export interface CheckRequest {
  readonly models: WorkflowModel[];
  /** What had to be left out, said once each. */
  readonly warnings: string[];
}

export function checkRequestOf(listed: readonly ListedModel[]): Result<CheckRequest, string> {
  const warnings: string[] = [];
  if (listed.length > MAX_WORKFLOW_MODELS) warnings.push(`the workflow names ${listed.length} model files; only the first ${MAX_WORKFLOW_MODELS} are checked`);
  const models = listed.slice(0, MAX_WORKFLOW_MODELS).flatMap((model): WorkflowModel[] => {
    const shown = clip(model.name, 80);
    // A name or folder that long is no file ComfyUI could load: nothing to check.
    if (model.name.length > L.name || (model.directory?.length ?? 0) > L.directory) {
      warnings.push(`skipped a file whose name or folder is too long to be a model file: ${shown}`);
      return [];
    }
    if (model.url !== undefined && !within(model.url, L.url)) warnings.push(`${shown}: its URL is too long to use and is left out`);
    if (model.usedBy.length > L.usedBy) warnings.push(`${shown}: used by ${model.usedBy.length} nodes; the first ${L.usedBy} are shown`);
    return [{
      name: model.name,
      directory: model.directory,
      usedBy: model.usedBy.slice(0, L.usedBy).map((use) => ({
        nodeId: clip(use.nodeId, L.nodeId),
        nodeType: clip(use.nodeType, L.nodeType),
        ...(use.title !== undefined ? { title: clip(use.title, L.title) } : {}),
        input: clip(use.input, L.input),
        active: use.active,
      })),
      ...(within(model.url, L.url) ? { url: model.url } : {}),
      ...(within(model.hash, L.hash) ? { hash: model.hash } : {}),
      ...(within(model.hashType, L.hashType) ? { hashType: model.hashType } : {}),
      ...(model.extensionOptional ? { extensionOptional: true } : {}),
    }];
  });
  const bytes = new TextEncoder().encode(JSON.stringify(models)).length;
  if (bytes > MAX_WORKFLOW_CHECK_BYTES) {
    return err(`the workflow's list of model files is too large to check (${Math.ceil(bytes / 1024)} KiB, at most ${MAX_WORKFLOW_CHECK_BYTES / 1024} KiB): its node titles and names are not those of a real workflow`);
  }
  return ok({ models, warnings });
}

/** The request for a workflow as read: its model files, and every warning its reading and shaping gave. */
export function checkRequestOfWorkflow(workflow: ReadWorkflow): Result<CheckRequest, string> {
  const listed = listWorkflowModels(workflow);
  return checkRequestOf(listed.models).map((request) => ({ models: request.models, warnings: [...listed.warnings, ...request.warnings] }));
}
