import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../../src/routing/byte-source.js';
import type { HeaderErrorCode } from '../../src/routing/header-error.js';
import {
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readSafetensorsHeader,
  readSafetensorsHeaderFrom,
} from '../../src/routing/safetensors-header.js';
import { buildSafetensorsHeader } from '../../src/safetensors/build.js';

/** A complete file: 8-byte length, `json` as given, then `dataLength` zero bytes. */
function rawFile(json: string, dataLength = 0, declaredLength?: bigint): Buffer {
  const body = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(body.length));
  return Buffer.concat([prefix, body, Buffer.alloc(dataLength)]);
}

function withPrefix(body: Buffer): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([prefix, body]);
}

function entry(dtype: string, shape: number[], begin: number, end: number) {
  return { dtype, shape, data_offsets: [begin, end] };
}

function fileOf(header: Record<string, unknown>, dataLength: number): Buffer {
  return rawFile(JSON.stringify(header), dataLength);
}

const validFile = (() => {
  const { prefix, fileLength } = buildSafetensorsHeader(
    { 'a.weight': { dtype: 'F16', shape: [2, 3] }, 'a.alpha': { dtype: 'F32', shape: [] }, empty: { dtype: 'I64', shape: [0, 4] } },
    { ss_network_module: 'networks.lora' },
  );
  return Buffer.concat([prefix, Buffer.alloc(fileLength - prefix.length)]);
})();

const codeOf = (bytes: Buffer, fileLength = bytes.length) => {
  const result = parseSafetensorsHeader(bytes, fileLength);
  return result.isErr() ? result.error.code : 'OK';
};

describe('parseSafetensorsHeader', () => {
  it('reads a valid header: tensors, rank-0 and empty tensors, metadata', () => {
    const result = parseSafetensorsHeader(validFile, validFile.length);
    expect(result.isOk()).toBe(true);
    const header = result._unsafeUnwrap();
    expect(header.tensors.get('a.weight')).toEqual({ dtype: 'F16', shape: [2, 3], begin: 0, end: 12 });
    expect(header.tensors.get('a.alpha')?.shape).toEqual([]);
    expect(header.tensors.get('empty')?.end).toBe(header.tensors.get('empty')?.begin);
    expect(header.metadata).toEqual({ ss_network_module: 'networks.lora' });
    expect(header.dataLength).toBe(16);
  });

  it('tolerates whitespace before the opening brace', () => {
    expect(codeOf(fileOf({}, 0))).toBe('OK');
    expect(codeOf(rawFile(`   ${JSON.stringify({ t: entry('U8', [2], 0, 2) })}  `, 2))).toBe('OK');
  });

  const cases: [string, Buffer, HeaderErrorCode, number?][] = [
    ['a file under 8 bytes', Buffer.from([1, 2, 3]), 'FILE_TOO_SMALL'],
    ['a zero header length', rawFile('', 0), 'HEADER_LENGTH_INVALID'],
    ['a header length past the end of the file', rawFile('{}', 0, 100n), 'HEADER_LENGTH_INVALID'],
    ['a header length of u64 max', rawFile('{}', 0, 2n ** 64n - 1n), 'HEADER_TOO_LARGE'],
    ['a header length just over the cap', rawFile('{}', 0, BigInt(MAX_HEADER_BYTES) + 1n), 'HEADER_TOO_LARGE'],
    ['bytes that are not UTF-8', withPrefix(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'HEADER_NOT_UTF8'],
    ['text that is not JSON', rawFile('{not json}'), 'HEADER_NOT_JSON'],
    ['a JSON array', rawFile('[]'), 'HEADER_NOT_JSON'],
    ['a duplicate tensor name', rawFile('{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', 2), 'DUPLICATE_KEY'],
    ['a duplicate name spelled with an escape', rawFile('{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\\u0074":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'DUPLICATE_KEY'],
    ['a duplicate metadata key', rawFile('{"__metadata__":{"a":"1","a":"2"}}'), 'DUPLICATE_KEY'],
    ['deep nesting', rawFile(`{"t":${'['.repeat(5000)}${']'.repeat(5000)}}`), 'HEADER_TOO_DEEP'],
    ['a non-string metadata value', fileOf({ __metadata__: { steps: 1000 } }, 0), 'METADATA_INVALID'],
    ['metadata that is a list', fileOf({ __metadata__: ['a'] }, 0), 'METADATA_INVALID'],
    ['an unknown dtype', fileOf({ t: entry('F128', [1], 0, 16) }, 16), 'UNKNOWN_DTYPE'],
    ['a missing shape', fileOf({ t: { dtype: 'U8', data_offsets: [0, 1] } }, 1), 'TENSOR_INVALID'],
    ['a negative dimension', fileOf({ t: entry('U8', [-1], 0, 1) }, 1), 'TENSOR_INVALID'],
    ['a fractional offset', fileOf({ t: entry('U8', [1], 0, 1.5) }, 1), 'TENSOR_INVALID'],
    ['an end before the begin', fileOf({ t: entry('U8', [0], 2, 1) }, 2), 'OFFSETS_INVALID'],
    ['a gap between tensors', fileOf({ a: entry('U8', [1], 0, 1), b: entry('U8', [1], 2, 3) }, 3), 'OFFSETS_INVALID'],
    ['overlapping tensors', fileOf({ a: entry('U8', [2], 0, 2), b: entry('U8', [2], 1, 3) }, 3), 'OFFSETS_INVALID'],
    ['data not starting at 0', fileOf({ a: entry('U8', [1], 1, 2) }, 2), 'OFFSETS_INVALID'],
    ['a size that does not match the shape', fileOf({ a: entry('F32', [2], 0, 4) }, 4), 'SIZE_MISMATCH'],
    ['a shape whose size overflows', fileOf({ a: entry('F64', [2 ** 53 - 1, 2 ** 53 - 1], 0, 8) }, 8), 'SIZE_MISMATCH'],
    ['a sub-byte tensor that does not fill whole bytes', fileOf({ a: entry('F4', [3], 0, 1) }, 1), 'SIZE_MISMATCH'],
    ['offsets beyond the end of the file', fileOf({ a: entry('U8', [8], 0, 8) }, 4), 'FILE_LENGTH_MISMATCH'],
    ['trailing bytes after the data (polyglot)', fileOf({ a: entry('U8', [4], 0, 4) }, 9), 'FILE_LENGTH_MISMATCH'],
  ];

  it.each(cases)('rejects %s', (_label, bytes, code, fileLength) => {
    expect(codeOf(bytes, fileLength ?? bytes.length)).toBe(code);
  });

  it('accepts sub-byte dtypes that fill whole bytes', () => {
    expect(codeOf(fileOf({ a: entry('F4', [4], 0, 2), b: entry('F6_E2M3', [4], 2, 5) }, 5))).toBe('OK');
  });

  it('names the tensor at fault', () => {
    const bytes = fileOf({ good: entry('U8', [1], 0, 1), bad: entry('U8', [1], 0, 1) }, 1);
    const result = parseSafetensorsHeader(bytes, bytes.length);
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'OFFSETS_INVALID', key: 'bad' });
  });

  it('asks for more bytes when given less than the declared header', () => {
    expect(codeOf(validFile.subarray(0, 20), validFile.length)).toBe('BUFFER_TOO_SHORT');
  });
});

/** Counts every byte a reader takes from the source. */
function countingSource(bytes: Buffer): { source: ByteSource; bytesRead: () => number } {
  const inner = bufferSource(bytes);
  let total = 0;
  return {
    source: {
      size: inner.size,
      async read(position, length) {
        const chunk = await inner.read(position, length);
        total += chunk.length;
        return chunk;
      },
    },
    bytesRead: () => total,
  };
}

/** The most a bounded reader may read: the prefix, plus the header when its declared length is acceptable. */
function headerBound(bytes: Buffer): number {
  if (bytes.length < 8) return bytes.length;
  const declared = bytes.readBigUInt64LE(0);
  const acceptable = declared <= BigInt(MAX_HEADER_BYTES) && 8n + declared <= BigInt(bytes.length);
  return 8 + (acceptable ? Number(declared) : 0);
}

const TIME_BOUND_MS = 250;
const KNOWN_CODES = new Set<string>([
  'FILE_TOO_SMALL', 'HEADER_TOO_LARGE', 'HEADER_LENGTH_INVALID', 'HEADER_NOT_UTF8', 'HEADER_NOT_JSON', 'HEADER_TOO_DEEP',
  'DUPLICATE_KEY', 'METADATA_INVALID', 'TENSOR_INVALID', 'UNKNOWN_DTYPE', 'SIZE_MISMATCH', 'OFFSETS_INVALID',
  'FILE_LENGTH_MISMATCH',
]);

/** Reads through the bounded reader; checks the byte bound, the time bound and that errors are typed. */
async function readChecked(bytes: Buffer): Promise<string> {
  const { source, bytesRead } = countingSource(bytes);
  const started = performance.now();
  const result = await readSafetensorsHeaderFrom(source);
  expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
  expect(bytesRead()).toBeLessThanOrEqual(headerBound(bytes));
  if (result.isOk()) return 'OK';
  expect(KNOWN_CODES.has(result.error.code)).toBe(true);
  expect(result.error.message.length).toBeGreaterThan(0);
  return result.error.code;
}

describe('header reader under fuzzing', () => {
  it('never throws on random bytes, reads at most the header, and answers quickly', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (raw) => {
      await readChecked(Buffer.from(raw));
    }), { numRuns: 400 });
  });

  it('never throws on a plausible length followed by random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 400 }), async (raw, declared) => {
      await readChecked(Buffer.concat([rawFile('', 0, BigInt(declared)).subarray(0, 8), Buffer.from(raw)]));
    }), { numRuns: 400 });
  });

  it('rejects huge declared lengths without reading past the prefix', async () => {
    await fc.assert(fc.asyncProperty(fc.bigInt({ min: BigInt(MAX_HEADER_BYTES) + 1n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 64 }), async (declared, tail) => {
      const bytes = Buffer.concat([rawFile('', 0, declared).subarray(0, 8), Buffer.from(tail)]);
      const { source, bytesRead } = countingSource(bytes);
      const result = await readSafetensorsHeaderFrom(source);
      expect(result._unsafeUnwrapErr().code).toBe('HEADER_TOO_LARGE');
      expect(bytesRead()).toBe(8);
    }), { numRuns: 200 });
  });

  it('rejects a valid file truncated at every offset', async () => {
    for (let cut = 0; cut < validFile.length; cut++) {
      expect(await readChecked(validFile.subarray(0, cut))).not.toBe('OK');
    }
    expect(await readChecked(validFile)).toBe('OK');
  });

  it('never throws on corrupted header JSON', async () => {
    const json = JSON.stringify({ __metadata__: { a: 'b' }, t: entry('F16', [2, 2], 0, 8), u: entry('U8', [3], 8, 11) });
    await fc.assert(fc.asyncProperty(fc.nat({ max: json.length - 1 }), fc.string({ minLength: 0, maxLength: 3 }), async (at, insert) => {
      const mutated = json.slice(0, at) + insert + json.slice(at + 1);
      await readChecked(rawFile(mutated, 11));
    }), { numRuns: 400 });
  });

  /** A valid layout of random tensors: contiguous offsets in a shuffled key order. */
  const layout = fc
    .array(fc.record({ dtype: fc.constantFrom('U8', 'F16', 'F32', 'BF16', 'I64'), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 8 })
    .map((specs) => {
      const width: Record<string, number> = { U8: 1, F16: 2, BF16: 2, F32: 4, I64: 8 };
      let offset = 0;
      const tensors = specs.map((spec, i) => {
        const size = spec.shape.reduce((n, d) => n * d, 1) * (width[spec.dtype] ?? 1);
        const tensor = { name: `t${i}`, dtype: spec.dtype, shape: spec.shape, begin: offset, end: offset + size };
        offset += size;
        return tensor;
      });
      return { tensors, dataLength: offset };
    });

  const encode = (tensors: { name: string; dtype: string; shape: number[]; begin: number; end: number }[], dataLength: number) =>
    fileOf(Object.fromEntries(tensors.map((t) => [t.name, entry(t.dtype, t.shape, t.begin, t.end)])), dataLength);

  it('accepts every contiguous layout whose sizes match', async () => {
    await fc.assert(fc.asyncProperty(layout, async ({ tensors, dataLength }) => {
      expect(await readChecked(encode([...tensors].reverse(), dataLength))).toBe('OK');
    }), { numRuns: 200 });
  });

  it('rejects overlapping or shifted offsets and wrong sizes', async () => {
    const nonEmpty = layout.filter(({ tensors }) => tensors.some((t) => t.end > t.begin));
    await fc.assert(fc.asyncProperty(nonEmpty, fc.nat(), fc.constantFrom(-1, 1), fc.boolean(), async ({ tensors, dataLength }, pick, delta, shiftBoth) => {
      const candidates = tensors.filter((t) => t.end > t.begin);
      const victim = candidates[pick % candidates.length];
      if (!victim) return;
      const mutated = tensors.map((t) => (t === victim ? { ...t, begin: shiftBoth ? t.begin + delta : t.begin, end: t.end + delta } : t));
      if (mutated.some((t) => t.begin < 0 || t.end < t.begin)) return;
      expect(['OFFSETS_INVALID', 'SIZE_MISMATCH', 'FILE_LENGTH_MISMATCH']).toContain(await readChecked(encode(mutated, dataLength)));
    }), { numRuns: 300 });
  });
});

describe('readSafetensorsHeader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-header-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file on disk', async () => {
    const path = join(dir, 'valid.safetensors');
    await writeFile(path, validFile);
    const result = await readSafetensorsHeader(path);
    expect(result._unsafeUnwrap().tensors.size).toBe(3);
  });

  it('turns a missing file into READ_FAILED', async () => {
    const result = await readSafetensorsHeader(join(dir, 'absent.safetensors'));
    expect(result._unsafeUnwrapErr().code).toBe('READ_FAILED');
  });

  it('reports a truncated download', async () => {
    const path = join(dir, 'truncated.safetensors');
    await writeFile(path, validFile.subarray(0, validFile.length - 1));
    expect((await readSafetensorsHeader(path))._unsafeUnwrapErr().code).toBe('FILE_LENGTH_MISMATCH');
  });
});
