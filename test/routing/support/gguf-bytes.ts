// Writes GGUF headers for tests: magic, version, counts, key/values, tensor infos (no tensor data).

export type GgufTestValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'f32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'i32[]'; readonly value: readonly number[] }
  | { readonly type: 'string[]'; readonly value: readonly string[] };

export interface GgufTestTensor {
  readonly name: string;
  /** PyTorch order; written innermost first, as GGUF stores them. */
  readonly shape: readonly number[];
  readonly ggmlType?: number;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const str = (s: string) => {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([u64(bytes.length), bytes]);
};

function value(v: GgufTestValue): Buffer {
  switch (v.type) {
    case 'string': return Buffer.concat([u32(8), str(v.value)]);
    case 'u32': return Buffer.concat([u32(4), u32(v.value)]);
    case 'f32': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v.value);
      return Buffer.concat([u32(6), b]);
    }
    case 'bool': return Buffer.concat([u32(7), Buffer.from([v.value ? 1 : 0])]);
    case 'i32[]': {
      const items = v.value.map((n) => {
        const b = Buffer.alloc(4);
        b.writeInt32LE(n);
        return b;
      });
      return Buffer.concat([u32(9), u32(5), u64(v.value.length), ...items]);
    }
    case 'string[]': return Buffer.concat([u32(9), u32(8), u64(v.value.length), ...v.value.map(str)]);
  }
}

export function ggufBytes(options: {
  readonly version?: number;
  readonly metadata?: readonly (readonly [string, GgufTestValue])[];
  readonly tensors?: readonly GgufTestTensor[];
  readonly tensorCount?: bigint;
}): Buffer {
  const metadata = options.metadata ?? [];
  const tensors = options.tensors ?? [];
  return Buffer.concat([
    Buffer.from('GGUF', 'latin1'),
    u32(options.version ?? 3),
    u64(options.tensorCount ?? BigInt(tensors.length)),
    u64(metadata.length),
    ...metadata.flatMap(([key, v]) => [str(key), value(v)]),
    ...tensors.flatMap((t) => [str(t.name), u32(t.shape.length), ...[...t.shape].reverse().map((d) => u64(d)), u32(t.ggmlType ?? 1), u64(0)]),
  ]);
}
