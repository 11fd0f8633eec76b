// Why a model file's header could not be read. Plain data: it travels into routing decisions and events.

export type SafetensorsErrorCode =
  | 'FILE_TOO_SMALL'
  | 'HEADER_TOO_LARGE'
  | 'HEADER_LENGTH_INVALID'
  | 'HEADER_NOT_UTF8'
  | 'HEADER_NOT_JSON'
  | 'HEADER_TOO_DEEP'
  | 'DUPLICATE_KEY'
  | 'METADATA_INVALID'
  | 'TENSOR_INVALID'
  | 'UNKNOWN_DTYPE'
  | 'SIZE_MISMATCH'
  | 'OFFSETS_INVALID'
  | 'FILE_LENGTH_MISMATCH';

export type GgufErrorCode =
  | 'GGUF_BAD_MAGIC'
  | 'GGUF_UNSUPPORTED_VERSION'
  | 'GGUF_TRUNCATED'
  | 'GGUF_LIMIT_EXCEEDED'
  | 'GGUF_INVALID';

/**
 * `BUFFER_TOO_SHORT`: the caller passed fewer bytes than the header needs (read more and parse again).
 * `HEADER_BUDGET_EXCEEDED`: reading the header took longer, or more memory, than its budget.
 */
export type ReadErrorCode = 'READ_FAILED' | 'BUFFER_TOO_SHORT' | 'HEADER_BUDGET_EXCEEDED';

export type HeaderErrorCode = SafetensorsErrorCode | GgufErrorCode | ReadErrorCode;

export interface HeaderError {
  readonly code: HeaderErrorCode;
  readonly message: string;
  /** The tensor or metadata key at fault, when there is one. */
  readonly key?: string;
}

const MAX_KEY_CHARS = 200;

export function headerError(code: HeaderErrorCode, message: string, key?: string): HeaderError {
  if (key === undefined) return { code, message };
  const shown = key.length > MAX_KEY_CHARS ? `${key.slice(0, MAX_KEY_CHARS)}…` : key;
  return { code, message, key: shown };
}

export function isHeaderError(value: unknown): value is HeaderError {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

const MAX_QUOTED_CHARS = 120;

/** A name from the header as messages show it: JSON-quoted, and cut short when long. */
export function quoteName(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text);
}
