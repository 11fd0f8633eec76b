import { redact } from '../lib/redact.js';
import { plainText, terminalJson } from '../lib/terminal-text.js';

// Everything the CLI prints passes through here (lint forbids writing to process.stdout/stderr elsewhere in the
// CLI): names, references and server messages come from outside and must not drive the terminal. Output keeps
// its line structure; a single field is flattened by `table` and by callers that embed one in a sentence.

/** Results, on stdout: control characters stripped, lines kept. */
export function printOut(text: string): void {
  process.stdout.write(plainText(text, 'keep-lines'));
}

/** Messages, warnings and errors, on stderr: also redacted, since they quote references and server answers. */
export function printErr(text: string): void {
  process.stderr.write(plainText(redact(text), 'keep-lines'));
}

let printedJson = false;

/** `--json` output: the exact value, with every character a terminal could act on escaped. */
export function printJson(value: unknown): void {
  printedJson = true;
  process.stdout.write(`${terminalJson(value, 2)}\n`);
}

/** Whether this run already printed its JSON result (a failure after it must not print a second document). */
export function jsonPrinted(): boolean {
  return printedJson;
}

/** One JSON value per line (`watch --json`). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${terminalJson(value)}\n`);
}
