// Builds safetensors headers from tensor descriptions. The simulator uses it to serve model files of every
// kind, and tests use it to write tiny files that are valid down to the declared length (extended sparsely).

export interface TensorSpec {
  readonly dtype: string;
  readonly shape: readonly number[];
}

export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, F4: 1, F6_E2M3: 1, F6_E3M2: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
};

export function tensorByteLength(spec: TensorSpec): number {
  const width = DTYPE_BYTES[spec.dtype];
  if (width === undefined) throw new Error(`unknown dtype ${spec.dtype}`);
  return spec.shape.reduce((n, d) => n * d, 1) * width;
}

export interface BuiltHeader {
  /** 8-byte little-endian length followed by the JSON header, padded with spaces to 8-byte alignment. */
  readonly prefix: Buffer;
  /** Total length of the file this header declares: prefix plus every tensor's bytes. */
  readonly fileLength: number;
}

export function buildSafetensorsHeader(
  tensors: Readonly<Record<string, TensorSpec>>,
  metadata?: Readonly<Record<string, string>>,
): BuiltHeader {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, spec] of Object.entries(tensors)) {
    const end = offset + tensorByteLength(spec);
    header[name] = { dtype: spec.dtype, shape: spec.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const body = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8 + body.length);
  prefix.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(prefix, 8);
  return { prefix, fileLength: prefix.length + offset };
}
