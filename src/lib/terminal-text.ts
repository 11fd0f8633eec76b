// Text from outside (refs, file names, server messages, CivitAI fields) is shown on terminals, in the journal, in
// desktop notifications and in the desktop app. Control characters in it could retitle or repaint a terminal
// (ESC sequences, C1 controls), forge log lines (CR, LF) or make a name read backwards (bidi overrides). This is
// the one function that takes them out, applied where text is output.

/* eslint-disable no-control-regex */
// ESC-introduced sequences are removed whole, payload included (an OSC title, a DCS string), so no fragment of
// them is left to be read as text: CSI `ESC [ params intermediates final`, string sequences `ESC ] P X ^ _ …`
// up to BEL or ST (or the end of the text), and two-character escapes.
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|[ -~]?)/g;
// C1 string introducers (DCS, SOS, OSC, PM, APC) with their payload, for terminals that honour 8-bit controls.
const C1_STRING = /[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g;
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;
// Left: C0 (tabs and line breaks are handled before), DEL, C1, and the bidirectional formatting characters
// (embeddings, overrides, isolates, marks) that reorder what follows them.
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

export type LineMode = 'one-line' | 'keep-lines';

/**
 * Strips control characters. `one-line` (a field, a log line) turns tabs and line breaks into spaces;
 * `keep-lines` (a message of several lines) keeps tabs and `\n` and turns other line breaks into `\n`.
 */
export function plainText(text: string, mode: LineMode = 'one-line'): string {
  const unescaped = text.replace(ESCAPE_SEQUENCE, '').replace(C1_STRING, '');
  const broken = mode === 'one-line' ? unescaped.replace(LINE_BREAKS, ' ').replaceAll('\t', ' ') : unescaped.replace(LINE_BREAKS, '\n');
  return mode === 'one-line' ? broken.replace(CONTROLS, '') : broken.replace(CONTROLS, (c) => (c === '\n' || c === '\t' ? c : ''));
}

// Characters JSON.stringify leaves raw but a terminal may act on: DEL, C1, bidi formatting, line separators.
// (It already escapes C0, ESC included, and lone surrogates.)
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON for a terminal or a pipe: the same value once parsed (nothing is removed), with every character a terminal
 * could act on written as a `\uXXXX` escape.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON.stringify replacer for JSON that a display renders: every string loses its control characters. */
export function displayStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? plainText(value, 'keep-lines') : value;
}
