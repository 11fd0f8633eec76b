// Reads a ComfyUI workflow from the bytes of a `.json` or `.png` file, in Node (compressed PNG text is inflated by
// zlib). Pure; bad input is an error value that says what was expected.
import type { Result } from 'neverthrow';
import { invalid, workflowFromJsonBytes, workflowFromPngTexts, type ReadWorkflow, type WorkflowError } from './forms.js';
import { isPng } from './png-chunks.js';
import { readPngText } from './png-text.js';

export type { ApiNode, ApiWorkflow, ModelFile, ReadWorkflow, UiNode, UiWorkflow, WorkflowError } from './forms.js';

/** A workflow from the bytes of a `.json` or `.png` file. */
export function readWorkflow(bytes: Uint8Array): Result<ReadWorkflow, WorkflowError> {
  if (!isPng(bytes)) return workflowFromJsonBytes(bytes);
  const texts = readPngText(bytes);
  return texts.isErr() ? invalid(texts.error) : workflowFromPngTexts(texts.value);
}
