// Reads what a downloaded model file is, ready for decideRoute: a classification from its header, the reason
// the header is unreadable, or 'pickle' for files that are never opened beyond their first bytes. This runs in
// the header worker (inspect.ts); call inspectModelFile, which gives it a time and memory budget off the main thread.
import { basename } from 'node:path';
import { withFileSource } from './byte-source.js';
import { classifyGguf } from './classify-gguf.js';
import type { Classification } from './classify-types.js';
import { classifyTensors } from './classify.js';
import { sniffContainer } from './container.js';
import { readGgufHeaderFrom } from './gguf-header.js';
import { headerError, type HeaderError } from './header-error.js';
import { readSafetensorsHeaderFrom } from './safetensors-header.js';

const SNIFF_BYTES = 8;

export type Inspection = Classification | HeaderError | 'pickle';

/** `fileName` is the model's real name when `path` is a staging file (`<job>.part`): pickles are told by extension. */
export async function inspectFileHere(path: string, fileName: string = basename(path)): Promise<Inspection> {
  try {
    return await withFileSource(path, async (source) => {
      switch (sniffContainer(await source.read(0, SNIFF_BYTES), fileName)) {
        case 'pickle':
          return 'pickle';
        case 'gguf': {
          const header = await readGgufHeaderFrom(source);
          return header.isOk() ? classifyGguf(header.value) : header.error;
        }
        case 'safetensors': {
          const header = await readSafetensorsHeaderFrom(source);
          return header.isOk() ? classifyTensors(header.value) : header.error;
        }
      }
    });
  } catch (cause) {
    return headerError('READ_FAILED', `Could not read ${path}: ${cause instanceof Error ? cause.message : String(cause)}.`);
  }
}
