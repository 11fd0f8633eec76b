// Turns an untrusted name (CivitAI file names, Content-Disposition values, trained words, model titles) into one
// safe path component. Used by every part that writes files.

export const MAX_FILE_NAME_BYTES = 255;
const FALLBACK_NAME = 'unnamed';
/** An extension longer than this is more likely part of the name than a real extension. */
const MAX_EXTENSION_BYTES = 24;

export interface FileNameOptions {
  /** Limit for the whole name in UTF-8 bytes (Linux NAME_MAX is 255). */
  readonly maxBytes?: number;
  /** Keep the stem short enough that `stem + suffix` of this many bytes also fits (for sidecar names). */
  readonly stemReserveBytes?: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Invisible formatting: bidi overrides (a name can display as "txt.exe" while ending in "exe.txt"), zero-widths, BOM. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Not allowed on Windows/exFAT/NTFS volumes, where model folders are often shared. */
const WINDOWS_RESERVED_CHARS = /[<>:"|?*]/g;
const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com\d|lpt\d)$/i;
/** Download temp files end in `.part`; a final name must never look like one. */
const TEMP_SUFFIX = /\.part$/i;

/** A single, safe, non-empty file name of at most `maxBytes` UTF-8 bytes, keeping the extension. */
export function sanitizeFileName(name: string, options: FileNameOptions = {}): string {
  const maxBytes = options.maxBytes ?? MAX_FILE_NAME_BYTES;
  const lastComponent = name.normalize('NFC').split(/[/\\]/).filter((part) => part !== '').at(-1) ?? '';
  let cleaned = lastComponent
    .replace(CONTROL, '')
    .replace(INVISIBLE, '')
    .replace(LONE_SURROGATE, '_')
    .replace(WINDOWS_RESERVED_CHARS, '_');
  cleaned = trimEnds(cleaned);
  if (cleaned === '') return FALLBACK_NAME;
  // No hidden files, and nothing a command line would read as an option.
  cleaned = cleaned.replace(/^[.-]+/, '_');
  if (TEMP_SUFFIX.test(cleaned)) cleaned += '_';
  const { stem, extension } = splitExtension(cleaned);
  const safeStem = WINDOWS_DEVICE_NAMES.test(stem) ? `_${stem}` : stem;
  return fitBytes(safeStem, extension, maxBytes, options.stemReserveBytes ?? 0);
}

/** Stem and extension (with its dot) of a file name; the extension is empty when there is none. */
export function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, extension: '' };
  const extension = name.slice(dot);
  if (utf8Length(extension) > MAX_EXTENSION_BYTES || /\s/.test(extension)) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension };
}

function fitBytes(stem: string, extension: string, maxBytes: number, stemReserve: number): string {
  if (utf8Length(extension) >= maxBytes) return fitBytes(stem + extension, '', maxBytes, stemReserve);
  const extensionBytes = utf8Length(extension);
  const stemBudget = maxBytes - Math.max(extensionBytes, stemReserve);
  if (utf8Length(stem) <= stemBudget) return stem + extension;
  const cut = trimEnds(truncateUtf8(stem, Math.max(1, stemBudget)));
  return (cut === '' ? '_' : cut) + extension;
}

/** Whitespace at both ends and trailing dots go (Windows drops them silently, making two names collide). */
function trimEnds(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

/** The longest prefix of `text` that fits `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
