// The code that pairs the browser extension with `comfyui-dl ui`: the gateway's port, then an 8-letter secret,
// as the app shows it and the user types it (`43125-K7Q2-M9XD`). Pure: the gateway and the extension both read it.

/** Letters and digits that cannot be mistaken for each other when typed from the screen. */
export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function formatPairingCode(port: number, secret: string): string {
  return `${port}-${secret.slice(0, 4)}-${secret.slice(4)}`;
}

/** The port and the secret of a typed code (any case, dashes and spaces forgiven), or null. */
export function parsePairingCode(typed: string): { port: number; secret: string } | null {
  const match = /^\s*(\d{1,5})\s*-\s*([a-z0-9]{4})\s*-?\s*([a-z0-9]{4})\s*$/i.exec(typed);
  if (!match) return null;
  const port = Number(match[1]);
  return port >= 1 && port <= 65_535 ? { port, secret: `${match[2]}${match[3]}`.toUpperCase() } : null;
}
