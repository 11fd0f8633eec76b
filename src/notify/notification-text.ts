// What may be shown on the desktop. Notification servers keep a history that other programs and screenshots
// can read, so secrets never reach them, and text is escaped for servers that render markup.
import { redact } from '../lib/redact.js';
import { plainText } from '../lib/terminal-text.js';

// A signed download URL carries its signature (and CivitAI's `token=`) in the query; the path alone is harmless.
const URL_WITH_QUERY = /\b(https?:\/\/[^\s?#]+)[?#]\S*/gi;

/**
 * Removes URL queries and fragments, then credentials and every given secret (such as the API key) by the shared
 * redaction, then control characters (NUL included, which D-Bus strings cannot carry); line breaks stay.
 */
export function sanitizeNotificationText(text: string, secrets: readonly string[]): string {
  return plainText(redact(text.replace(URL_WITH_QUERY, '$1'), secrets), 'keep-lines');
}

/**
 * Servers announcing "body-markup" parse the body as a small HTML subset; without escaping, a file name such as
 * `Tom & Jerry <v2>.safetensors` would lose its `<v2>` or fail to display.
 */
export function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
