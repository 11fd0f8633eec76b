// Bounded safetensors header reader. Layout: u64 little-endian N, N bytes of UTF-8 JSON, then the tensor data.
// Checks mirror the reference implementation (huggingface/safetensors `read_metadata` + `validate`): a header
// that passes describes every data byte exactly once, so a truncated download or trailing junk is caught here.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { withFileSource, type ByteSource } from './byte-source.js';
import { headerError, type HeaderError } from './header-error.js';

/** The reference cap (decimal 100 MB); larger headers are refused before any allocation. */
export const MAX_HEADER_BYTES = 100_000_000;
const PREFIX_BYTES = 8;
/** Top-level object → tensor entry → shape array: nothing in a valid header nests deeper. */
const MAX_JSON_DEPTH = 3;

const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
};

export interface TensorInfo {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** N: the JSON header's length in bytes (including padding). */
  readonly headerLength: number;
  /** Bytes of tensor data after the header. */
  readonly dataLength: number;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Validates a whole header. `bytes` starts at offset 0 of the file and holds at least the 8-byte prefix and
 * the N header bytes (anything after them is ignored); `fileLength` is the file's real size.
 */
export function parseSafetensorsHeader(bytes: Buffer, fileLength: number): Result<SafetensorsHeader, HeaderError> {
  return declaredHeaderLength(bytes, fileLength).andThen((length) => {
    if (bytes.length < PREFIX_BYTES + length) {
      return err(headerError('BUFFER_TOO_SHORT', `Got ${bytes.length} bytes, but the header needs ${PREFIX_BYTES + length}.`));
    }
    return parseHeaderBody(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length), fileLength);
  });
}

/** Reads and validates the header of the file at `path`: at most 8 + N bytes, never the tensor data. */
export function readSafetensorsHeader(path: string): ResultAsync<SafetensorsHeader, HeaderError> {
  return ResultAsync.fromPromise(
    withFileSource(path, (source) => readSafetensorsHeaderFrom(source)),
    (cause) => headerError('READ_FAILED', `Could not read ${path}: ${describe(cause)}.`),
  ).andThen((result) => result);
}

export async function readSafetensorsHeaderFrom(source: ByteSource): Promise<Result<SafetensorsHeader, HeaderError>> {
  const prefix = await source.read(0, PREFIX_BYTES);
  const length = declaredHeaderLength(prefix, source.size);
  if (length.isErr()) return err(length.error);
  const body = await source.read(PREFIX_BYTES, length.value);
  if (body.length < length.value) {
    return err(headerError('HEADER_LENGTH_INVALID', `The file ended after ${body.length} of ${length.value} header bytes.`));
  }
  return parseHeaderBody(body, source.size);
}

/** N from the 8-byte prefix, checked against the cap and the file length. */
function declaredHeaderLength(prefix: Buffer, fileLength: number): Result<number, HeaderError> {
  if (fileLength < PREFIX_BYTES) {
    return err(headerError('FILE_TOO_SMALL', `The file has ${fileLength} bytes; a safetensors file starts with an 8-byte header length.`));
  }
  if (prefix.length < PREFIX_BYTES) {
    return err(headerError('BUFFER_TOO_SHORT', `Got ${prefix.length} bytes; the header length needs 8.`));
  }
  const declared = prefix.readBigUInt64LE(0);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    return err(headerError('HEADER_TOO_LARGE', `The header claims ${declared} bytes, over the ${MAX_HEADER_BYTES}-byte limit: this is not a safetensors file (perhaps a pickle renamed).`));
  }
  const length = Number(declared);
  if (length === 0) return err(headerError('HEADER_LENGTH_INVALID', 'The header length is 0.'));
  if (PREFIX_BYTES + length > fileLength) {
    return err(headerError('HEADER_LENGTH_INVALID', `The header claims ${length} bytes but the file has only ${fileLength}: truncated or not safetensors.`));
  }
  return ok(length);
}

function parseHeaderBody(body: Buffer, fileLength: number): Result<SafetensorsHeader, HeaderError> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return err(headerError('HEADER_NOT_UTF8', 'The header is not valid UTF-8.'));
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return err(headerError('HEADER_NOT_JSON', 'The header is not a JSON object.'));
  const structural = checkJsonStructure(trimmed);
  if (structural) return err(structural);
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (cause) {
    return err(headerError('HEADER_NOT_JSON', `The header is not valid JSON: ${describe(cause)}.`));
  }
  if (!isPlainObject(parsed)) return err(headerError('HEADER_NOT_JSON', 'The header is not a JSON object.'));

  const metadata = readMetadata(parsed.__metadata__);
  if (metadata.isErr()) return err(metadata.error);
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === '__metadata__') continue;
    const tensor = readTensor(name, entry);
    if (tensor.isErr()) return err(tensor.error);
    tensors.set(name, tensor.value);
  }
  const dataLength = checkContiguous(tensors);
  if (dataLength.isErr()) return err(dataLength.error);
  const expected = PREFIX_BYTES + body.length + dataLength.value;
  if (expected !== fileLength) {
    const what = fileLength < expected ? 'truncated (incomplete download?)' : 'followed by trailing bytes';
    return err(headerError('FILE_LENGTH_MISMATCH', `The header describes a ${expected}-byte file but it has ${fileLength} bytes: ${what}.`));
  }
  return ok({ headerLength: body.length, dataLength: dataLength.value, tensors, metadata: metadata.value });
}

function readMetadata(value: unknown): Result<Record<string, string>, HeaderError> {
  if (value === undefined || value === null) return ok({});
  if (!isPlainObject(value)) return err(headerError('METADATA_INVALID', '__metadata__ is not an object of strings.'));
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      return err(headerError('METADATA_INVALID', `__metadata__ value ${quote(key)} is not a string.`, key));
    }
  }
  return ok(Object.fromEntries(Object.entries(value as Record<string, string>)));
}

function readTensor(name: string, entry: unknown): Result<TensorInfo, HeaderError> {
  const invalid = (what: string) => err(headerError('TENSOR_INVALID', `Tensor ${quote(name)}: ${what}.`, name));
  if (!isPlainObject(entry)) return invalid('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') return invalid('dtype is missing');
  const bits = DTYPE_BITS[dtype];
  if (bits === undefined) return err(headerError('UNKNOWN_DTYPE', `Tensor ${quote(name)} has unknown dtype ${quote(dtype)}.`, name));
  if (!Array.isArray(shape) || !shape.every(isCount)) return invalid('shape is not a list of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return invalid('data_offsets is not a pair of non-negative integers');
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return err(headerError('OFFSETS_INVALID', `Tensor ${quote(name)} ends before it begins.`, name));
  const totalBits = bitCount(shape as number[], bits);
  if (totalBits % 8n !== 0n) {
    return err(headerError('SIZE_MISMATCH', `Tensor ${quote(name)} does not fill whole bytes.`, name));
  }
  if (totalBits / 8n !== BigInt(end - begin)) {
    return err(headerError('SIZE_MISMATCH', `Tensor ${quote(name)} declares ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${totalBits / 8n}.`, name));
  }
  return ok({ dtype, shape: shape as number[], begin, end });
}

/** Elements × bits per element, exact however large (plain numbers while they are exact, for speed). */
function bitCount(shape: readonly number[], bits: number): bigint {
  let product = bits;
  for (const dim of shape) {
    product *= dim;
    if (!Number.isSafeInteger(product)) return shape.reduce((total, d) => total * BigInt(d), 1n) * BigInt(bits);
  }
  return BigInt(product);
}

/** The data section must be covered exactly once, from 0, without gaps or overlaps; returns its length. */
function checkContiguous(tensors: ReadonlyMap<string, TensorInfo>): Result<number, HeaderError> {
  const byOffset = ([, a]: [string, TensorInfo], [, b]: [string, TensorInfo]) => a.begin - b.begin || a.end - b.end;
  const entries = [...tensors];
  // Writers usually list tensors in data order; sorting is only needed when they did not.
  const ordered = entries.every((entry, i) => i === 0 || byOffset(entries[i - 1] as [string, TensorInfo], entry) <= 0) ? entries : entries.sort(byOffset);
  let position = 0;
  for (const [name, tensor] of ordered) {
    if (tensor.begin !== position) {
      const what = tensor.begin < position ? 'overlaps the previous tensor' : 'leaves a gap before it';
      return err(headerError('OFFSETS_INVALID', `Tensor ${quote(name)} starts at ${tensor.begin}, expected ${position}: it ${what}.`, name));
    }
    position = tensor.end;
  }
  return ok(position);
}

/**
 * Rejects nesting deeper than a header can have (before JSON.parse sees it) and repeated tensor or metadata
 * names (JSON.parse would silently keep the last one, hiding a smuggled tensor). Other syntax errors are left
 * to JSON.parse.
 */
function checkJsonStructure(text: string): HeaderError | undefined {
  const tensorNames = new Set<string>();
  let metadataNames: Set<string> | null = null;
  let lastTopName = '';
  let depth = 0;
  let expectName = false;
  // Names are checked in the top-level object and in __metadata__; tensor entries only hold fixed fields.
  const namesHere = () => (depth === 1 ? tensorNames : depth === 2 ? metadataNames : null);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const close = stringEnd(text, i);
      if (close < 0) return undefined;
      const names = expectName ? namesHere() : null;
      if (names) {
        const raw = text.slice(i, close + 1);
        const name = raw.includes('\\') ? safeJsonString(raw) : raw.slice(1, -1);
        if (name === undefined) return undefined;
        if (names.has(name)) return headerError('DUPLICATE_KEY', `The header repeats the key ${quote(name)}.`, name);
        names.add(name);
        if (depth === 1) lastTopName = name;
      }
      expectName = false;
      i = close;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) {
        return headerError('HEADER_TOO_DEEP', `The header nests deeper than ${MAX_JSON_DEPTH} levels, which no safetensors header does.`);
      }
      if (depth === 2) metadataNames = c === 0x7b && lastTopName === '__metadata__' ? new Set() : null;
      expectName = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */) {
      expectName = namesHere() !== null;
    }
  }
  return undefined;
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quoteAt = text.indexOf('"', at);
    if (quoteAt < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quoteAt - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quoteAt;
    at = quoteAt + 1;
  }
}

function safeJsonString(raw: string): string | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const MAX_QUOTED_CHARS = 120;

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text);
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
