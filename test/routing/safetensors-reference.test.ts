import { describe, expect, it } from 'vitest';
import type { HeaderErrorCode } from '../../src/routing/header-error.js';
import { parseSafetensorsHeader } from '../../src/routing/safetensors-header.js';

// Our reader against the reference implementation, huggingface/safetensors (`SafeTensors::deserialize`, which is
// `read_metadata` + `Metadata::validate`, serde_json underneath). Part 1 is every header its test suite reads
// (safetensors/src/tensor.rs and bindings/python/tests/test_simple.py), with the verdict the suite asserts. Part 2
// is the inputs JSON.parse used to let through and serde_json refuses. The verdict (accepted or refused) must match;
// our error codes are our own, so each row names the reference's error beside ours.

type Verdict = 'OK' | HeaderErrorCode;

/** 8-byte little-endian `declared` length, then the header text, then `data` (bytes, or that many zero bytes). */
function file(declared: number | bigint, header: string | Buffer, data: number | Buffer = 0): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declared));
  const body = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  return Buffer.concat([prefix, body, typeof data === 'number' ? Buffer.alloc(data) : data]);
}

/** A header whose declared length is its own: for rows where the suite builds it the same way. */
const exact = (header: string, data: number | Buffer = 0): Buffer => file(Buffer.byteLength(header), header, data);

const verdict = (bytes: Buffer): Verdict => {
  const result = parseSafetensorsHeader(bytes, bytes.length);
  return result.isOk() ? 'OK' : result.error.code;
};

const TEST = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
const f32s = Buffer.from(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
const attack = `{${Array.from({ length: 10 }, (_, i) => `"weight_${i}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`).join(',')}}`;

// [the reference's test, the reference's verdict, what it reads, ours]
const SUITE: [string, string, Buffer, Verdict][] = [
  ['tensor.rs test_serialization', 'Ok', file(64, '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', f32s), 'OK'],
  ['tensor.rs test_serialization_fp4', 'Ok', file(64, '{"attn.0":{"dtype":"F4","shape":[1,2],"data_offsets":[0,1]}}    ', 1), 'OK'],
  ['tensor.rs test_empty (no tensors)', 'Ok', file(8, '{}      '), 'OK'],
  ['tensor.rs test_empty (metadata only)', 'Ok', file(40, '{"__metadata__":{"framework":"pt"}}     '), 'OK'],
  ['tensor.rs test_serialization_forced_alignement', 'Ok', file(72, '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ', f32s), 'OK'],
  ['tensor.rs test_slicing / test_gpt2 (a serialised file read back)', 'Ok', file(64, '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', f32s), 'OK'],
  ['tensor.rs test_empty_shapes_allowed', 'Ok', file(56, '{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', 4), 'OK'],
  ['tensor.rs test_deserialization / test_lifetimes', 'Ok', file(60, TEST, 16), 'OK'],
  ['tensor.rs test_json_attack (ten tensors on the same bytes)', 'InvalidOffset', exact(attack, 16), 'OFFSETS_INVALID'],
  ['tensor.rs test_metadata_incomplete_buffer (polyglot tail)', 'MetadataIncompleteBuffer', file(60, TEST, Buffer.concat([Buffer.alloc(16), Buffer.from('extra_bogus_data_for_polyglot_file')])), 'FILE_LENGTH_MISMATCH'],
  ['tensor.rs test_metadata_incomplete_buffer (2 bytes missing)', 'MetadataIncompleteBuffer', file(60, TEST, 14), 'FILE_LENGTH_MISMATCH'],
  ['tensor.rs test_header_too_large', 'HeaderTooLarge', Buffer.concat([Buffer.from('<\x00\x00\x00\x00\xff\xff\xff', 'latin1'), Buffer.from(TEST), Buffer.alloc(16)]), 'HEADER_TOO_LARGE'],
  ['tensor.rs test_header_too_small', 'HeaderTooSmall', Buffer.alloc(0), 'FILE_TOO_SMALL'],
  ['tensor.rs test_invalid_header_length', 'InvalidHeaderLength', file(60, ''), 'HEADER_LENGTH_INVALID'],
  ['tensor.rs test_invalid_header_non_utf8', 'InvalidHeader', file(1, Buffer.from([0xff])), 'HEADER_NOT_UTF8'],
  ['tensor.rs test_invalid_header_not_json', 'InvalidHeaderDeserialization', file(1, '{'), 'HEADER_NOT_JSON'],
  ['tensor.rs test_whitespace_padded_header', 'Ok', file(6, '{}\r \t\n'), 'OK'],
  ['tensor.rs test_whitespace_leading_padded_header', 'Ok', file(6, '\t\n{}\r '), 'OK'],
  ['tensor.rs test_zero_sized_tensor', 'Ok', file(60, '{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}'), 'OK'],
  ['tensor.rs test_invalid_info', 'TensorInvalidInfo', file(60, '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}'), 'SIZE_MISMATCH'],
  ['tensor.rs test_validation_overflow (shape)', 'ValidationOverflow', file(79, '{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', 16), 'SIZE_MISMATCH'],
  ['tensor.rs test_validation_overflow (shape × dtype)', 'ValidationOverflow', file(78, '{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}', 16), 'SIZE_MISMATCH'],
  ['test_simple.py test_deserialization', 'Ok', file(60, TEST, 16), 'OK'],
  ['test_simple.py test_deserialization_metadata', 'Ok', file(102, '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       ', 16), 'OK'],
  ['test_simple.py test_serialization', 'Ok', file(64, `${TEST}    `, 16), 'OK'],
  ['test_simple.py test_serialization_forces_alignment', 'Ok', file(128, '{"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"test2":{"dtype":"F16","shape":[2,2],"data_offsets":[16,24]}}      ', 24), 'OK'],
  ['test_simple.py test_serialization_metadata', 'Ok', file(96, '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}} ', 16), 'OK'],
];

// serde_json's grammar: whitespace is space, tab, LF, CR; a usize comes only from an integer token (16.0, 1.6e1
// and -0 are floats to it); a \u escape of a surrogate must be half of a pair.
const t = (entry: string) => `{"t":${entry}}`;
const SERDE: [string, string, Buffer, Verdict][] = [
  ['a UTF-8 byte-order mark before the object', 'InvalidHeaderDeserialization', exact(`\ufeff${TEST}`, 16), 'HEADER_NOT_JSON'],
  ['form feed padding', 'InvalidHeaderDeserialization', exact(`${TEST}\f\f\f\f`, 16), 'HEADER_NOT_JSON'],
  ['non-breaking-space padding', 'InvalidHeaderDeserialization', exact(`${TEST}\u00a0\u00a0`, 16), 'HEADER_NOT_JSON'],
  ['a vertical tab before the object', 'InvalidHeaderDeserialization', exact(`\v${TEST}`, 16), 'HEADER_NOT_JSON'],
  ['NUL padding', 'InvalidHeaderDeserialization', exact(`${TEST}\0\0\0\0`, 16), 'HEADER_NOT_JSON'],
  ['float offsets [0.0,16.0]', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[2,2],"data_offsets":[0.0,16.0]}'), 16), 'TENSOR_INVALID'],
  ['an exponent offset 1.6e1', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[2,2],"data_offsets":[0,1.6e1]}'), 16), 'TENSOR_INVALID'],
  ['a float dimension 2.0', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[2.0,2],"data_offsets":[0,16]}'), 16), 'TENSOR_INVALID'],
  ['an exponent dimension 2E0', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[2,2E0],"data_offsets":[0,16]}'), 16), 'TENSOR_INVALID'],
  ['a negative zero dimension', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[-0],"data_offsets":[0,0]}')), 'TENSOR_INVALID'],
  ['a dimension past u64', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[18446744073709551616],"data_offsets":[0,16]}'), 16), 'TENSOR_INVALID'],
  ['a leading zero 016', 'InvalidHeaderDeserialization', exact(t('{"dtype":"I32","shape":[2,2],"data_offsets":[0,016]}'), 16), 'HEADER_NOT_JSON'],
  ['a lone high surrogate in a name', 'InvalidHeaderDeserialization', exact('{"\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'HEADER_NOT_JSON'],
  ['a lone low surrogate in a name', 'InvalidHeaderDeserialization', exact('{"\\udc00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'HEADER_NOT_JSON'],
  ['a high surrogate followed by another escape', 'InvalidHeaderDeserialization', exact('{"\\ud800\\u0041":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'HEADER_NOT_JSON'],
  ['a lone surrogate in a metadata value', 'InvalidHeaderDeserialization', exact('{"__metadata__":{"a":"x\\udfff"}}'), 'HEADER_NOT_JSON'],
  ['a surrogate pair (an emoji) in a name', 'Ok', exact('{"\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'OK'],
  ['a raw tab inside a string', 'InvalidHeaderDeserialization', exact('{"a\tb":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'HEADER_NOT_JSON'],
  ['an unknown escape \\x', 'InvalidHeaderDeserialization', exact('{"a\\x41":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'HEADER_NOT_JSON'],
  ['a trailing comma', 'InvalidHeaderDeserialization', exact('{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},}', 1), 'HEADER_NOT_JSON'],
  ['a field repeated inside a tensor entry', 'InvalidHeaderDeserialization (duplicate field)', exact(t('{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}'), 1), 'TENSOR_INVALID'],
  ['unknown fields inside a tensor entry, any JSON', 'Ok', exact(t('{"dtype":"U8","shape":[1],"data_offsets":[0,1],"note":[[1.5,{"x":null}]]}'), 1), 'OK'],
  ['__metadata__: null', 'Ok', exact(`{"__metadata__":null,${TEST.slice(1)}`, 16), 'OK'],
  ['a tensor named __proto__', 'Ok', exact('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), 'OK'],
  ['a dtype named like an Object property', 'InvalidHeaderDeserialization (unknown variant)', exact(t('{"dtype":"constructor","shape":[1],"data_offsets":[0,1]}'), 1), 'UNKNOWN_DTYPE'],
  ['an offset pair of three', 'InvalidHeaderDeserialization (invalid length)', exact(t('{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}'), 1), 'TENSOR_INVALID'],
];

describe('the safetensors header reader against the reference implementation', () => {
  it.each(SUITE)('%s: reference %s', (_test, reference, bytes, ours) => {
    expect(verdict(bytes)).toBe(ours);
    expect(ours === 'OK').toBe(reference === 'Ok');
  });

  it.each(SERDE)('%s: reference %s', (_case, reference, bytes, ours) => {
    expect(verdict(bytes)).toBe(ours);
    expect(ours === 'OK').toBe(reference === 'Ok');
  });

  it('reads the values the suite reads back', () => {
    const shapeless = file(56, '{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', 4);
    const empty = parseSafetensorsHeader(shapeless, shapeless.length)._unsafeUnwrap();
    expect(empty.tensors.get('test')).toEqual({ dtype: 'I32', shape: [], begin: 0, end: 4 });
    const meta = file(102, '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       ', 16);
    expect(parseSafetensorsHeader(meta, meta.length)._unsafeUnwrap().metadata).toEqual({ framework: 'pt' });
    const emoji = exact('{"\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1);
    expect([...parseSafetensorsHeader(emoji, emoji.length)._unsafeUnwrap().tensors.keys()]).toEqual(['😀']);
  });
});
