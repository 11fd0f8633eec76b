// Bounded safetensors header reader. Layout: u64 little-endian N, N bytes of UTF-8 JSON, then the tensor data.
// Checks mirror the reference implementation (huggingface/safetensors `read_metadata` + `validate`), its JSON
// reading included (safetensors-json.ts): a header that passes describes every data byte exactly once, so a
// truncated download or trailing junk is caught here.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { withFileSource, type ByteSource } from './byte-source.js';
import { headerError, quoteName, type HeaderError } from './header-error.js';
import { parseHeaderJson, type RawHeader, type RawTensor } from './safetensors-json.js';

/** The reference cap (decimal 100 MB); larger headers are refused before any allocation. */
export const MAX_HEADER_BYTES = 100_000_000;
const PREFIX_BYTES = 8;
const U64_MAX = 2n ** 64n - 1n;

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
    // fatal: invalid UTF-8 is an error, as in the reference; ignoreBOM: a BOM stays in the text, where it is not JSON.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return err(headerError('HEADER_NOT_UTF8', 'The header is not valid UTF-8.'));
  }
  return parseHeaderJson(text, (dtype) => Object.hasOwn(DTYPE_BITS, dtype)).andThen((raw) =>
    checkLayout(raw).andThen((dataLength) => {
      const expected = PREFIX_BYTES + body.length + dataLength;
      if (expected !== fileLength) {
        const what = fileLength < expected ? 'truncated (incomplete download?)' : 'followed by trailing bytes';
        return err(headerError('FILE_LENGTH_MISMATCH', `The header describes a ${expected}-byte file but it has ${fileLength} bytes: ${what}.`));
      }
      return ok({ headerLength: body.length, dataLength, tensors: asTensorInfos(raw.tensors), metadata: raw.metadata });
    }),
  );
}

/** Dimensions past 2^53 (possible only with a zero beside them) become approximate numbers for the classifier. */
function asTensorInfos(tensors: Map<string, RawTensor>): Map<string, TensorInfo> {
  for (const [name, t] of tensors) {
    if (t.shape.some((d) => typeof d === 'bigint')) tensors.set(name, { ...t, shape: t.shape.map(Number) });
  }
  return tensors as Map<string, TensorInfo>;
}

/**
 * The reference's `validate`: sorted by offsets, the tensors cover the data section exactly once from 0, and each
 * one's byte length is its element count times its dtype's bits, in whole bytes, without overflowing 64 bits.
 * Returns the data section's length.
 */
function checkLayout(raw: RawHeader): Result<number, HeaderError> {
  const byOffset = ([, a]: [string, RawTensor], [, b]: [string, RawTensor]) => a.begin - b.begin || a.end - b.end;
  const entries = [...raw.tensors];
  // Writers usually list tensors in data order; sorting is only needed when they did not.
  const ordered = entries.every((entry, i) => i === 0 || byOffset(entries[i - 1] as [string, RawTensor], entry) <= 0) ? entries : entries.sort(byOffset);
  let position = 0;
  for (const [name, tensor] of ordered) {
    if (tensor.begin !== position || tensor.end < tensor.begin) {
      const what = tensor.end < tensor.begin ? 'ends before it begins' : tensor.begin < position ? 'overlaps the previous tensor' : 'leaves a gap before it';
      return err(headerError('OFFSETS_INVALID', `Tensor ${quoteName(name)} starts at ${tensor.begin}, expected ${position}: it ${what}.`, name));
    }
    position = tensor.end;
    const bits = tensorBits(tensor);
    if (bits === undefined) {
      return err(headerError('SIZE_MISMATCH', `Tensor ${quoteName(name)}: its shape ${shapeText(tensor)} overflows 64 bits.`, name));
    }
    const bytes = typeof bits === 'number' ? (bits % 8 === 0 ? bits / 8 : undefined) : bits % 8n === 0n ? bits / 8n : undefined;
    if (bytes === undefined) return err(headerError('SIZE_MISMATCH', `Tensor ${quoteName(name)} does not fill whole bytes.`, name));
    // A bigint here is beyond 2^53 bytes, which no offset can be.
    if (bytes !== tensor.end - tensor.begin) {
      return err(headerError('SIZE_MISMATCH', `Tensor ${quoteName(name)} declares ${tensor.end - tensor.begin} bytes but ${tensor.dtype}${shapeText(tensor)} needs ${bytes}.`, name));
    }
  }
  return ok(position);
}

/**
 * Elements × bits per element: a number while exact (the common case, and far faster), else a bigint; undefined
 * when a step passes u64, as the reference's checked products do.
 */
function tensorBits(tensor: RawTensor): number | bigint | undefined {
  const bits = DTYPE_BITS[tensor.dtype] ?? 0;
  let product = bits;
  let exact = true;
  for (const dim of tensor.shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(product * dim)) {
      exact = false;
      break;
    }
    product *= dim;
  }
  if (exact) return product;
  let elements = 1n;
  for (const dim of tensor.shape) {
    elements *= BigInt(dim);
    if (elements > U64_MAX) return undefined;
  }
  const total = elements * BigInt(bits);
  return total > U64_MAX ? undefined : total;
}

function shapeText(tensor: RawTensor): string {
  return `[${tensor.shape.join(',')}]`;
}


function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
