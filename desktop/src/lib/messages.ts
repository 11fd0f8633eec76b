// The daemon's messages are written for a terminal and name CLI commands. The app shows buttons for those
// actions, so it says what happened and points at the button instead. Pure.
import { MAX_REF_LENGTH } from '../../../src/ipc/protocol.js';

const REWRITES: readonly (readonly [RegExp, string])[] = [
  // "… (run `comfyui-dl retry abc`)", "Retry with `comfyui-dl retry abc`.", "; run `comfyui-dl retry` to download it again"
  [/\s*\((?:run|use) `comfyui-dl (?:retry|resume)[^`]*`[^)]*\)/g, ''],
  [/\s*Retry with `comfyui-dl retry[^`]*`\.?/g, ''],
  [/;?\s*(?:then )?run `comfyui-dl retry[^`]*`(?: to download it again)?/g, ''],
  [/,? then `comfyui-dl resume[^`]*`/g, ', then press Resume'],
  [/;?\s*(?:see|list them with) `comfyui-dl [^`]*`/g, ''],
  [/pick one with --file ID/g, 'pick one of its files on the model page'],
  [/set a key with `comfyui-dl config set-key`/g, 'set your CivitAI API key (in a terminal: comfyui-dl config set-key)'],
];

/**
 * A daemon message as the app shows it: no CLI commands where the app has a button for the action; a sentence
 * of its own unless it follows a label (`Not queued: huggingface.co is not…`).
 */
export function forTheApp(message: string, options: { afterLabel?: boolean } = {}): string {
  let text = message;
  for (const [pattern, replacement] of REWRITES) text = text.replace(pattern, replacement);
  text = text.trim().replace(/\s+([.;,])/g, '$1');
  return text.length > 0 && !options.afterLabel ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** What the Add box says about input it will not send, before asking the daemon; null when it is fine to send. */
export function checkRefInput(input: string): string | null {
  if (input.length > MAX_REF_LENGTH) {
    return `This link is ${input.length.toLocaleString('en')} characters long; comfyui-dl takes links of up to ${MAX_REF_LENGTH.toLocaleString('en')}. Paste the model page's address (civitai.com/models/…) instead.`;
  }
  return null;
}

/** An `add` that the daemon refused, in words: its schema errors are not for people. */
export function addFailure(error: { code: string; message: string }): string {
  if (error.code === 'BAD_PARAMS') return 'comfyui-dl cannot read this as a model link. Paste a CivitAI model page or download link, or an AIR (urn:air:…).';
  return forTheApp(error.message);
}
