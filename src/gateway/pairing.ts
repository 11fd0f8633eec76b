import { createHash, randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CODE_ALPHABET, formatPairingCode, parsePairingCode } from '../lib/pairing-code.js';
import { newToken, tokensEqual } from './token.js';

/**
 * Browser extensions that may send models to the gateway. An extension pairs once, with a short code the app
 * shows; from then on its origin (`chrome-extension://<id>`, `moz-extension://<uuid>`) is on the allow-list and
 * it proves itself with the token it got when pairing. No web page can take either step: a page's Origin is
 * never an extension's, and browsers do not let pages forge Origin.
 */

/** The origins extensions send: Chromium's are 32 letters a–p, Firefox's a per-install UUID. */
const EXTENSION_ORIGIN = /^(?:chrome-extension:\/\/[a-p]{32}|moz-extension:\/\/[0-9a-f-]{36})$/;

export function isExtensionOrigin(origin: string | undefined): origin is string {
  return origin !== undefined && EXTENSION_ORIGIN.test(origin);
}

const CODE_TTL_MS = 5 * 60_000;
/** Wrong codes tried against one code before it is void: guessing 32^8 with 5 tries is hopeless. */
const CODE_ATTEMPTS = 5;

export interface PairingCode {
  /** What the user types into the extension: the gateway's port, then the secret, e.g. `43125-K7Q2-M9XD`. */
  readonly code: string;
  readonly expiresAt: string;
}

export interface PairedExtension {
  readonly origin: string;
  readonly name: string;
  readonly pairedAt: string;
}

const StateSchema = z.object({
  version: z.literal(1),
  /** The port the gateway last listened on: it asks for it again, so a paired extension finds it. */
  port: z.int().min(1).max(65_535).nullable(),
  extensions: z.array(z.object({ origin: z.string(), name: z.string().max(100), pairedAt: z.string(), tokenHash: z.string() })).max(100),
});
type State = z.infer<typeof StateSchema>;

export type PairError =
  | { readonly code: 'BAD_CODE'; readonly message: string }
  | { readonly code: 'NOT_AN_EXTENSION'; readonly message: string };

export interface Pairings {
  /** A new code (the previous one is void). */
  newCode(port: number): PairingCode;
  /** Trades a valid code for a token and allow-lists the origin. */
  pair(origin: string, code: string, name: string): { ok: true; token: string } | { ok: false; error: PairError };
  /** Whether this origin is paired and the token is the one it got. */
  verify(origin: string, token: string | undefined): boolean;
  isPaired(origin: string): boolean;
  list(): PairedExtension[];
  remove(origin: string): boolean;
  /** The port to ask for, from the last run. */
  lastPort(): number | null;
  rememberPort(port: number): void;
}

const hash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

function secretPart(length: number): string {
  return Array.from({ length }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
}

function load(file: string | undefined): State {
  const empty: State = { version: 1, port: null, extensions: [] };
  if (file === undefined) return empty;
  try {
    const parsed = StateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : empty;
  } catch {
    // No file yet, or one this version cannot read: nothing is paired.
    return empty;
  }
}

/** Written atomically, readable by the user only: it holds which extensions may send downloads. */
function save(file: string | undefined, state: State): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** `file` keeps pairings across launches of `comfyui-dl ui`; without it they last as long as the process. */
export function createPairings(file: string | undefined, now: () => number = Date.now): Pairings {
  let state = load(file);
  let pending: { secret: string; expiresAt: number; attemptsLeft: number } | undefined;

  const update = (next: State): void => {
    state = next;
    save(file, state);
  };

  return {
    newCode(port) {
      const secret = secretPart(8);
      pending = { secret, expiresAt: now() + CODE_TTL_MS, attemptsLeft: CODE_ATTEMPTS };
      return { code: formatPairingCode(port, secret), expiresAt: new Date(pending.expiresAt).toISOString() };
    },
    pair(origin, typed, name) {
      if (!isExtensionOrigin(origin)) return { ok: false, error: { code: 'NOT_AN_EXTENSION', message: 'only the comfyui-dl browser extension can pair' } };
      const refused = { ok: false as const, error: { code: 'BAD_CODE' as const, message: 'This pairing code is wrong or has expired: make a new one in comfyui-dl (Browser extension page) and type it again' } };
      const parsed = parsePairingCode(typed);
      if (pending === undefined || now() > pending.expiresAt || pending.attemptsLeft <= 0) {
        pending = undefined;
        return refused;
      }
      if (parsed === null || !tokensEqual(parsed.secret, pending.secret)) {
        pending.attemptsLeft -= 1;
        return refused;
      }
      pending = undefined;
      const token = newToken();
      const others = state.extensions.filter((e) => e.origin !== origin);
      update({ ...state, extensions: [...others, { origin, name: name.slice(0, 100) || 'Browser extension', pairedAt: new Date(now()).toISOString(), tokenHash: hash(token) }] });
      return { ok: true, token };
    },
    verify(origin, token) {
      const paired = state.extensions.find((e) => e.origin === origin);
      return paired !== undefined && token !== undefined && tokensEqual(hash(token), paired.tokenHash);
    },
    isPaired: (origin) => state.extensions.some((e) => e.origin === origin),
    list: () => state.extensions.map(({ origin, name, pairedAt }) => ({ origin, name, pairedAt })),
    remove(origin) {
      const kept = state.extensions.filter((e) => e.origin !== origin);
      if (kept.length === state.extensions.length) return false;
      update({ ...state, extensions: kept });
      return true;
    },
    lastPort: () => state.port,
    rememberPort(port) {
      if (state.port !== port) update({ ...state, port });
    },
  };
}
