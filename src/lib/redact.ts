// The one place credentials are cut out of text. Every event (at encode), every daemon log line, every IPC error,
// notification and CLI line passes through here, so a key pasted inside a URL never reaches the append-only log,
// a terminal, the journal or a desktop notification.

const MASK = '***';

// `scheme://user:password@host`: everything before the last `@` of the authority is a credential. The userinfo
// may itself contain `@` (an unencoded password), hence the greedy run up to the last one.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s"'<>]*@/gi;
// Names of URL parameters (query or fragment: `#token=`) that carry a credential.
const URL_CREDENTIAL_PARAM =
  /([?&#;])((?:token|authorization|access_token|auth_token|api_key|apikey|api-key|key|hf_token|password|passwd|secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s"'<>]*/gi;
// The unambiguous ones also in loose text (`token=abc` in a message); `key=` and `sig=` are ordinary words there.
const PROSE_CREDENTIAL = /(\s|^)((?:token|access_token|auth_token|api_key|apikey|api-key|hf_token|password|passwd|secret)=)[^&#\s"'<>]*/gi;
const AUTHORIZATION_VALUE = /(authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token)\s+)?[^\s"',;&#}<>]*/gi;
const SCHEME_TOKEN = /\b(bearer)\s+[^\s"',;&#}<>]+/gi;
// Hugging Face user access tokens: `hf_` and a long run of letters and digits.
const HF_TOKEN = /\bhf_[A-Za-z0-9]{20,}\b/g;

/**
 * Masks what is a credential wherever it is: in URLs (userinfo, credential parameters of the query or the
 * fragment), Hugging Face tokens, and `secrets` (e.g. the configured key, raw or URL-encoded). Safe for any string,
 * names and paths included: it never touches ordinary words.
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_USERINFO, `$1${MASK}@`).replace(URL_CREDENTIAL_PARAM, `$1$2${MASK}`).replace(HF_TOKEN, `hf_${MASK}`);
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(MASK);
  }
  return out;
}

/**
 * For messages (log lines, errors, terminal output): also masks what only looks like a credential in prose,
 * `token=…`, `Authorization: …` and `Bearer …`.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  return redactCredentials(text, secrets)
    .replace(PROSE_CREDENTIAL, `$1$2${MASK}`)
    .replace(AUTHORIZATION_VALUE, `$1${MASK}`)
    .replace(SCHEME_TOKEN, `$1 ${MASK}`);
}

/**
 * Every string inside a JSON-like value (an event's data) through `redactCredentials`; other values are kept.
 * Values that hold nothing to mask come back as the same objects.
 */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactCredentials(v, secrets);
    if (Array.isArray(v)) {
      const items = v.map(walk);
      return items.some((item, i) => item !== v[i]) ? items : v;
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      const walked = entries.map(([k, inner]) => [k, walk(inner)] as const);
      return walked.some(([, inner], i) => inner !== entries[i]![1]) ? Object.fromEntries(walked) : v;
    }
    return v;
  };
  return walk(value) as T;
}

/** A URL's password (decoded), as a secret to mask. */
export function passwordOf(url: string): string[] {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? [password] : [];
  } catch {
    return [];
  }
}

/** A URL as it may be shown: its password masked. */
export function printableUrl(url: string): string {
  return redact(url, passwordOf(url));
}
