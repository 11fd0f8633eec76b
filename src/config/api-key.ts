import { err, ok, type Result } from 'neverthrow';

/**
 * The CivitAI API key. Error messages here say where the key came from, never what it is: a message
 * ends up in terminals, logs and event data.
 */

export interface InvalidApiKey {
  readonly code: 'INVALID_API_KEY';
  readonly message: string;
}

/** Printable ASCII without spaces: what fits an HTTP header, so a bad paste fails here and not mid-download. */
const KEY_SHAPE = /^[\x21-\x7e]{8,512}$/;

/** `from` names the source for the message, e.g. "CIVITAI_API_KEY" or "the key you entered". */
export function checkApiKey(raw: string, from: string): Result<string, InvalidApiKey> {
  return checkSecret(raw, from, 'copy the API key again from https://civitai.com/user/account');
}

/** A Hugging Face access token (HF_TOKEN): the same shape rule, and where to get a new one. */
export function checkHfToken(raw: string, from: string): Result<string, InvalidApiKey> {
  return checkSecret(raw, from, 'copy a read token again from https://huggingface.co/settings/tokens');
}

function checkSecret(raw: string, from: string, fix: string): Result<string, InvalidApiKey> {
  const key = raw.trim();
  if (KEY_SHAPE.test(key)) return ok(key);
  const why = key.length === 0 ? 'is empty' : key.length < 8 || key.length > 512 ? 'has an unlikely length' : 'contains spaces or control characters';
  return err({ code: 'INVALID_API_KEY', message: `${from} ${why}: ${fix}` });
}

/** For `config show`: enough to recognise a key, not enough to use it. */
export function maskKey(key: string | undefined): string {
  if (key === undefined) return '(not set)';
  return key.length >= 16 ? `${key.slice(0, 4)}…${key.slice(-4)}` : '****';
}
