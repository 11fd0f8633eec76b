// Bounded GGUF header reader: magic "GGUF", u32 version (2 or 3), u64 tensor count, u64 key/value count, the
// key/value metadata, then one info record per tensor (name, dims, ggml type, offset). All little-endian.
// GGUF does not declare its header length, so the reader fetches a growing prefix, up to a cap.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { withFileSource, type ByteSource } from './byte-source.js';
import { headerError, type HeaderError } from './header-error.js';

/** Headers of diffusion models are kilobytes; LLM text encoders carry tokenizers of a few megabytes. */
export const MAX_GGUF_HEADER_BYTES = 64 * 1024 * 1024;
const FIRST_READ_BYTES = 1024 * 1024;
const MAX_TENSORS = 100_000;
const MAX_KEYS = 100_000;
const MAX_KEY_BYTES = 65_535;
const MAX_DIMS = 8;
/** Arrays longer than this are summarised (a tokenizer vocabulary is no routing evidence). */
const KEPT_ARRAY_ITEMS = 64;

const ValueType = {
  U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12,
} as const;

export type GgufScalar = string | number | boolean;
export interface GgufArray {
  readonly itemType: number;
  readonly length: number;
  /** The items when there are at most 64 scalars; omitted otherwise. */
  readonly items?: readonly GgufScalar[];
}
export type GgufValue = GgufScalar | GgufArray;

export interface GgufTensorInfo {
  readonly ggmlType: number;
  /** Dimensions in PyTorch order (GGUF stores them innermost first). */
  readonly shape: readonly number[];
}

export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  /** Where the tensor-info section ends (the data section starts at the next alignment boundary). */
  readonly headerBytes: number;
}

const GGUF_MAGIC = Buffer.from('GGUF', 'latin1');

/** True when the bytes start like a GGUF file (a cheap sniff before choosing a reader). */
export function looksLikeGguf(firstBytes: Buffer): boolean {
  return firstBytes.length >= 4 && firstBytes.subarray(0, 4).equals(GGUF_MAGIC);
}

/**
 * Parses a GGUF header from the first bytes of a file. If `bytes` ends before the header does and the file is
 * longer, the answer is `BUFFER_TOO_SHORT`: read more and parse again.
 */
export function parseGgufHeader(bytes: Buffer, fileLength: number): Result<GgufHeader, HeaderError> {
  if (!looksLikeGguf(bytes)) {
    return err(headerError(bytes.length < 4 && fileLength >= 4 ? 'BUFFER_TOO_SHORT' : 'GGUF_BAD_MAGIC', 'The file does not start with the GGUF magic.'));
  }
  const reader = new Reader(bytes);
  reader.skip(4);
  const version = reader.u32();
  if (!reader.failed && version !== 2 && version !== 3) {
    return err(headerError('GGUF_UNSUPPORTED_VERSION', `GGUF version ${version} is not supported (only 2 and 3; big-endian files are not supported either).`));
  }
  const tensorCount = reader.count();
  const keyCount = reader.count();
  if (tensorCount > MAX_TENSORS || keyCount > MAX_KEYS) {
    return err(headerError('GGUF_LIMIT_EXCEEDED', `The header declares ${tensorCount} tensors and ${keyCount} metadata keys; the limits are ${MAX_TENSORS} and ${MAX_KEYS}.`));
  }
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < keyCount && !reader.failed; i++) {
    const key = reader.string(MAX_KEY_BYTES);
    const value = reader.value(reader.u32());
    if (!reader.failed) metadata.set(key, value);
  }
  const tensors = new Map<string, GgufTensorInfo>();
  for (let i = 0; i < tensorCount && !reader.failed; i++) {
    const name = reader.string(MAX_KEY_BYTES);
    const dimCount = reader.u32();
    if (dimCount > MAX_DIMS) reader.fail('GGUF_INVALID', `Tensor ${JSON.stringify(name.slice(0, 120))} has ${dimCount} dimensions.`);
    const dims: number[] = [];
    for (let d = 0; d < dimCount && !reader.failed; d++) dims.push(reader.count());
    const ggmlType = reader.u32();
    reader.skip(8); // offset into the data section: irrelevant for routing
    if (!reader.failed) tensors.set(name, { ggmlType, shape: dims.reverse() });
  }
  if (reader.failure) {
    const truncated = reader.failure.code === 'GGUF_TRUNCATED' && bytes.length < fileLength;
    return err(truncated ? headerError('BUFFER_TOO_SHORT', 'The header continues past the bytes read so far.') : reader.failure);
  }
  return ok({ version, metadata, tensors, headerBytes: reader.position });
}

/** Reads the GGUF header of the file at `path`, fetching at most 64 MiB. */
export function readGgufHeader(path: string): ResultAsync<GgufHeader, HeaderError> {
  return ResultAsync.fromPromise(
    withFileSource(path, (source) => readGgufHeaderFrom(source)),
    (cause) => headerError('READ_FAILED', `Could not read ${path}: ${cause instanceof Error ? cause.message : String(cause)}.`),
  ).andThen((result) => result);
}

export async function readGgufHeaderFrom(source: ByteSource, maxBytes = MAX_GGUF_HEADER_BYTES): Promise<Result<GgufHeader, HeaderError>> {
  const limit = Math.min(source.size, maxBytes);
  let length = Math.min(limit, FIRST_READ_BYTES);
  for (;;) {
    const parsed = parseGgufHeader(await source.read(0, length), source.size);
    if (parsed.isOk() || parsed.error.code !== 'BUFFER_TOO_SHORT') return parsed;
    if (length >= limit) {
      return err(headerError('GGUF_LIMIT_EXCEEDED', `The GGUF header is longer than ${maxBytes} bytes.`));
    }
    length = Math.min(limit, length * 2);
  }
}

/** A cursor that stops at the first problem: reads after a failure return zero values and change nothing. */
class Reader {
  position = 0;
  failure: HeaderError | undefined;

  constructor(private readonly bytes: Buffer) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  fail(code: 'GGUF_TRUNCATED' | 'GGUF_INVALID' | 'GGUF_LIMIT_EXCEEDED', message: string): void {
    this.failure ??= headerError(code, message);
  }

  private take(length: number): number | undefined {
    if (this.failed) return undefined;
    if (this.position + length > this.bytes.length) {
      this.fail('GGUF_TRUNCATED', 'The GGUF header ends early: truncated file.');
      return undefined;
    }
    const at = this.position;
    this.position += length;
    return at;
  }

  skip(length: number): void {
    this.take(length);
  }

  u32(): number {
    const at = this.take(4);
    return at === undefined ? 0 : this.bytes.readUInt32LE(at);
  }

  /** A u64 used as a count or size: anything beyond 2^53 cannot be real. */
  count(): number {
    const at = this.take(8);
    if (at === undefined) return 0;
    const value = this.bytes.readBigUInt64LE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail('GGUF_LIMIT_EXCEEDED', `A count of ${value} is out of range.`);
      return 0;
    }
    return Number(value);
  }

  string(maxBytes: number): string {
    const length = this.count();
    if (length > maxBytes) {
      this.fail('GGUF_LIMIT_EXCEEDED', `A ${length}-byte string is over the ${maxBytes}-byte limit.`);
      return '';
    }
    const at = this.take(length);
    return at === undefined ? '' : this.bytes.toString('utf8', at, at + length);
  }

  value(type: number): GgufValue {
    return type === ValueType.ARRAY ? this.array() : this.scalar(type);
  }

  private scalar(type: number): GgufScalar {
    if (type === ValueType.STRING) return this.string(MAX_GGUF_HEADER_BYTES);
    const width = SCALAR_WIDTH[type];
    if (width === undefined) {
      this.fail('GGUF_INVALID', `Unknown GGUF value type ${type}.`);
      return 0;
    }
    const at = this.take(width);
    if (at === undefined) return 0;
    const b = this.bytes;
    switch (type) {
      case ValueType.U8: return b.readUInt8(at);
      case ValueType.I8: return b.readInt8(at);
      case ValueType.U16: return b.readUInt16LE(at);
      case ValueType.I16: return b.readInt16LE(at);
      case ValueType.U32: return b.readUInt32LE(at);
      case ValueType.I32: return b.readInt32LE(at);
      case ValueType.F32: return b.readFloatLE(at);
      case ValueType.BOOL: return b.readUInt8(at) !== 0;
      case ValueType.U64: return Number(b.readBigUInt64LE(at));
      case ValueType.I64: return Number(b.readBigInt64LE(at));
      default: return b.readDoubleLE(at);
    }
  }

  private array(): GgufArray {
    const itemType = this.u32();
    const length = this.count();
    if (this.failed) return { itemType, length: 0 };
    if (itemType === ValueType.ARRAY) {
      // Nested arrays exist in the spec but not in model files; refusing them keeps recursion out.
      this.fail('GGUF_INVALID', 'Nested GGUF arrays are not supported.');
      return { itemType, length: 0 };
    }
    // Every item takes at least its width (a string at least its 8-byte length).
    const width = itemType === ValueType.STRING ? 8 : SCALAR_WIDTH[itemType] ?? 1;
    if (length * width > MAX_GGUF_HEADER_BYTES) {
      this.fail('GGUF_LIMIT_EXCEEDED', `An array of ${length} items is over the header size limit.`);
      return { itemType, length };
    }
    if (length > KEPT_ARRAY_ITEMS && itemType !== ValueType.STRING && SCALAR_WIDTH[itemType] !== undefined) {
      this.skip(length * width);
      return { itemType, length };
    }
    const items: GgufScalar[] = [];
    for (let i = 0; i < length && !this.failed; i++) {
      const item = this.scalar(itemType);
      if (length <= KEPT_ARRAY_ITEMS) items.push(item);
    }
    return length <= KEPT_ARRAY_ITEMS ? { itemType, length, items } : { itemType, length };
  }
}

/** Bytes per fixed-width scalar type. */
const SCALAR_WIDTH: Readonly<Record<number, number>> = {
  [ValueType.U8]: 1, [ValueType.I8]: 1, [ValueType.BOOL]: 1,
  [ValueType.U16]: 2, [ValueType.I16]: 2,
  [ValueType.U32]: 4, [ValueType.I32]: 4, [ValueType.F32]: 4,
  [ValueType.U64]: 8, [ValueType.I64]: 8, [ValueType.F64]: 8,
};
