// File names announced by the storage host, either in a Content-Disposition header or, before any request is
// made to it, in the presigned URL's `response-content-disposition` (R2) or `b2ContentDisposition` (B2)
// parameter. Names are untrusted input: anything that is not a plain file name is discarded.

const EXTENDED = /(?:^|;)\s*filename\*\s*=\s*([^']*)'[^']*'([^;]*)/i;
const QUOTED = /(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i;
const TOKEN = /(?:^|;)\s*filename\s*=\s*([^";\s][^;]*)/i;
const MAX_NAME_BYTES = 255;

/** The file name of a Content-Disposition value, or undefined when absent or unsafe to use as a name. */
export function fileNameFromContentDisposition(value: string): string | undefined {
  return safeFileName(extendedName(value) ?? plainName(value));
}

function extendedName(value: string): string | undefined {
  const match = EXTENDED.exec(value);
  if (!match?.[2]) return undefined;
  const charset = (match[1] ?? '').trim().toLowerCase();
  if (charset !== 'utf-8' && charset !== '') return undefined;
  try {
    return decodeURIComponent(match[2].trim());
  } catch {
    return undefined;
  }
}

function plainName(value: string): string | undefined {
  const quoted = QUOTED.exec(value);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1');
  return TOKEN.exec(value)?.[1]?.trim();
}

/** Accepts a bare file name only: no separators, no `.`/`..`, no control characters, at most 255 bytes. */
export function safeFileName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  if (trimmed === '' || trimmed === '.' || trimmed === '..') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(trimmed)) return undefined;
  if (new TextEncoder().encode(trimmed).length > MAX_NAME_BYTES) return undefined;
  return trimmed;
}

/** The file name carried by a presigned storage URL's query, if any. */
export function fileNameFromSignedUrl(url: URL): string | undefined {
  const disposition =
    url.searchParams.get('response-content-disposition') ?? url.searchParams.get('b2ContentDisposition');
  return disposition === null ? undefined : fileNameFromContentDisposition(disposition);
}
