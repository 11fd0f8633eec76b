// What may be shown on the desktop. Notification servers keep a history that other programs and screenshots
// can read, so secrets never reach them, and text is escaped for servers that render markup.

const REDACTED = '[redacted]';

// A signed download URL carries its signature (and CivitAI's `token=`) in the query; the path alone is harmless.
const URL_WITH_QUERY = /\b(https?:\/\/[^\s?#]+)[?#]\S*/gi;
const BEARER = /\b(Bearer\s+)\S+/gi;

/**
 * Removes URL queries and fragments, bearer tokens and every given secret (such as the API key), and NUL
 * characters, which D-Bus strings cannot carry.
 */
export function sanitizeNotificationText(text: string, secrets: readonly string[]): string {
  let clean = text.replaceAll('\0', '').replace(URL_WITH_QUERY, '$1').replace(BEARER, `$1${REDACTED}`);
  for (const secret of secrets) {
    if (secret !== '') clean = clean.replaceAll(secret, REDACTED);
  }
  return clean;
}

/**
 * Servers announcing "body-markup" parse the body as a small HTML subset; without escaping, a file name such as
 * `Tom & Jerry <v2>.safetensors` would lose its `<v2>` or fail to display.
 */
export function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
