// Reads a workflow file dropped on the app, in the browser: a PNG's text chunks are walked by the same code as the
// CLI's, and compressed ones inflated by the browser's DecompressionStream, within the same bound. Only the list
// of model files goes to the daemon, never the file.
import { err, type Result } from 'neverthrow';
import { workflowFromJsonBytes, workflowFromPngTexts } from '../../../src/workflow/forms.js';
import { isPng, MAX_PNG_TEXT_BYTES, readPngTextChunks, textsOf } from '../../../src/workflow/png-chunks.js';
import { checkRequestOfWorkflow, type CheckRequest } from '../../../src/workflow/request.js';

/** A PNG ComfyUI saves is a few MB; a workflow JSON far less. */
export const MAX_WORKFLOW_FILE_BYTES = 256 * 1024 * 1024;

async function inflate(deflated: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const reader = new Blob([deflated]).stream().pipeThrough(new DecompressionStream('deflate')).getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_PNG_TEXT_BYTES) {
        await reader.cancel();
        return undefined;
      }
      parts.push(value);
    }
    const joined = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.length;
    }
    return joined;
  } catch {
    return undefined;
  }
}

/** The model files a workflow file loads, as `workflow.check` takes them, or what is wrong with the file. */
export async function readWorkflowFile(file: Blob): Promise<Result<CheckRequest, string>> {
  if (file.size > MAX_WORKFLOW_FILE_BYTES) return err(`This file is ${Math.round(file.size / 1048576)} MB: too large to be a workflow.`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!isPng(bytes)) return workflowFromJsonBytes(bytes).mapErr((e) => e.message).andThen(checkRequestOfWorkflow);
  const chunks = readPngTextChunks(bytes);
  if (chunks.isErr()) return err(chunks.error);
  const inflated = new Map<Uint8Array, Uint8Array | undefined>();
  for (const chunk of chunks.value) if ('deflated' in chunk) inflated.set(chunk.deflated, await inflate(chunk.deflated));
  return workflowFromPngTexts(textsOf(chunks.value, (deflated) => inflated.get(deflated))).mapErr((e) => e.message).andThen(checkRequestOfWorkflow);
}
