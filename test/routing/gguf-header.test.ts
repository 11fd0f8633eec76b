import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { bufferSource, type ByteSource } from '../../src/routing/byte-source.js';
import { classifyGguf } from '../../src/routing/classify-gguf.js';
import { parseGgufHeader, readGgufHeader, readGgufHeaderFrom } from '../../src/routing/gguf-header.js';
import { ggufBytes, type GgufTestTensor } from './support/gguf-bytes.js';

async function fixtureTensors(name: string): Promise<GgufTestTensor[]> {
  const fixture = JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'safetensors', name), 'utf8')) as {
    tensors: Record<string, { shape: number[] }>;
  };
  return Object.entries(fixture.tensors).map(([tensorName, { shape }]) => ({ name: tensorName, shape }));
}

const parse = (bytes: Buffer, fileLength = bytes.length) => parseGgufHeader(bytes, fileLength);

describe('parseGgufHeader', () => {
  it('reads version, metadata and tensor infos (shapes back in PyTorch order)', () => {
    const bytes = ggufBytes({
      metadata: [
        ['general.architecture', { type: 'string', value: 'flux' }],
        ['general.quantization_version', { type: 'u32', value: 2 }],
        ['flag', { type: 'bool', value: true }],
        ['scale', { type: 'f32', value: 0.5 }],
        ['tokenizer.ggml.tokens', { type: 'string[]', value: Array.from({ length: 100 }, (_, i) => `t${i}`) }],
      ],
      tensors: [{ name: 'img_in.weight', shape: [3072, 64], ggmlType: 8 }],
    });
    const header = parse(bytes)._unsafeUnwrap();
    expect(header.version).toBe(3);
    expect(header.metadata.get('general.architecture')).toBe('flux');
    expect(header.metadata.get('general.quantization_version')).toBe(2);
    expect(header.metadata.get('flag')).toBe(true);
    expect(header.metadata.get('scale')).toBe(0.5);
    expect(header.metadata.get('tokenizer.ggml.tokens')).toEqual({ itemType: 8, length: 100 });
    expect(header.tensors.get('img_in.weight')).toEqual({ ggmlType: 8, shape: [3072, 64] });
    expect(header.headerBytes).toBe(bytes.length);
  });

  it('rejects a wrong magic and unsupported versions', () => {
    expect(parse(Buffer.from('GGML\x03\x00\x00\x00', 'latin1'))._unsafeUnwrapErr().code).toBe('GGUF_BAD_MAGIC');
    expect(parse(ggufBytes({ version: 1 }))._unsafeUnwrapErr().code).toBe('GGUF_UNSUPPORTED_VERSION');
    expect(parse(ggufBytes({ version: 0x03000000 }))._unsafeUnwrapErr().code).toBe('GGUF_UNSUPPORTED_VERSION');
  });

  it('refuses absurd counts and lengths before looping over them', () => {
    expect(parse(ggufBytes({ tensorCount: 2n ** 40n }))._unsafeUnwrapErr().code).toBe('GGUF_LIMIT_EXCEEDED');
    const hugeString = Buffer.concat([ggufBytes({}).subarray(0, 16), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0])]);
    expect(parse(hugeString)._unsafeUnwrapErr().code).toBe('GGUF_LIMIT_EXCEEDED');
  });

  it('asks for more bytes when the header continues past them, and says truncated at the end of the file', () => {
    const bytes = ggufBytes({ tensors: [{ name: 'a', shape: [4, 4] }, { name: 'b', shape: [4] }] });
    for (let cut = 4; cut < bytes.length; cut++) {
      expect(parse(bytes.subarray(0, cut), bytes.length)._unsafeUnwrapErr().code).toBe('BUFFER_TOO_SHORT');
      expect(parse(bytes.subarray(0, cut), cut)._unsafeUnwrapErr().code).toBe('GGUF_TRUNCATED');
    }
  });

  it('never throws on random bytes after the magic', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
      const result = parse(Buffer.concat([Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'), Buffer.from(tail)]));
      if (result.isErr()) expect(result.error.message.length).toBeGreaterThan(0);
    }), { numRuns: 500 });
  });
});

describe('readGgufHeaderFrom', () => {
  function countingSource(bytes: Buffer): { source: ByteSource; bytesRead: () => number } {
    const inner = bufferSource(bytes);
    let total = 0;
    return {
      bytesRead: () => total,
      source: {
        size: bytes.length,
        async read(position, length) {
          const chunk = await inner.read(position, length);
          total += chunk.length;
          return chunk;
        },
      },
    };
  }

  it('grows its read until the header fits, staying within a small multiple of it', async () => {
    const tokens = Array.from({ length: 120_000 }, (_, i) => `token-${i}`);
    const bytes = ggufBytes({ metadata: [['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }]], tensors: [{ name: 'x', shape: [2] }] });
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const { source, bytesRead } = countingSource(bytes);
    const header = (await readGgufHeaderFrom(source))._unsafeUnwrap();
    expect(header.tensors.has('x')).toBe(true);
    expect(bytesRead()).toBeLessThan(4 * bytes.length);
  });

  it('stops at the cap when the header is longer', async () => {
    const bytes = ggufBytes({ metadata: [['tokenizer.ggml.tokens', { type: 'string[]', value: Array.from({ length: 2000 }, (_, i) => `t${i}`) }]] });
    const { source, bytesRead } = countingSource(bytes);
    const result = await readGgufHeaderFrom(source, 4096);
    expect(result._unsafeUnwrapErr().code).toBe('GGUF_LIMIT_EXCEEDED');
    expect(bytesRead()).toBeLessThanOrEqual(4096);
  });

  it('reports a truncated file after reading it once', async () => {
    const bytes = ggufBytes({ tensorCount: 90_000n });
    const { source, bytesRead } = countingSource(bytes);
    expect((await readGgufHeaderFrom(source))._unsafeUnwrapErr().code).toBe('GGUF_TRUNCATED');
    expect(bytesRead()).toBe(bytes.length);
  });
});

describe('classifyGguf', () => {
  it('routes a Flux GGUF by its tensor names', async () => {
    const bytes = ggufBytes({ metadata: [['general.architecture', { type: 'string', value: 'flux' }]], tensors: await fixtureTensors('flux-dev-unet-only.json') });
    const verdict = classifyGguf(parse(bytes)._unsafeUnwrap());
    expect(verdict).toMatchObject({ container: 'gguf', folder: 'diffusion_models', architecture: 'flux1-dev', confidence: 'high' });
    expect(verdict.signals).toContain('general.architecture = flux');
  });

  it('uses ComfyUI-GGUF original shapes for reshaped tensors', async () => {
    const tensors = (await fixtureTensors('wan21-t2v-14b-diffusion-model.json')).map((t) =>
      t.name === 'patch_embedding.weight' ? { ...t, shape: [5120, 64] } : t,
    );
    const bytes = ggufBytes({
      metadata: [
        ['general.architecture', { type: 'string', value: 'wan' }],
        ['comfy.gguf.orig_shape.patch_embedding.weight', { type: 'i32[]', value: [5120, 16, 1, 2, 2] }],
      ],
      tensors,
    });
    expect(classifyGguf(parse(bytes)._unsafeUnwrap()).architecture).toBe('wan2.1-t2v-14b');
  });

  it('routes llama.cpp text models to text_encoders by architecture', () => {
    const bytes = ggufBytes({
      metadata: [['general.architecture', { type: 'string', value: 't5encoder' }]],
      tensors: [{ name: 'enc.blk.0.attn_q.weight', shape: [4096, 4096] }, { name: 'token_embd.weight', shape: [32128, 4096] }],
    });
    expect(classifyGguf(parse(bytes)._unsafeUnwrap())).toMatchObject({ folder: 'text_encoders', kind: 'text_encoder', confidence: 'high' });
  });

  it('falls back to the declared diffusion architecture with medium confidence', () => {
    const bytes = ggufBytes({ metadata: [['general.architecture', { type: 'string', value: 'hidream' }]], tensors: [{ name: 'mystery.weight', shape: [8] }] });
    expect(classifyGguf(parse(bytes)._unsafeUnwrap())).toMatchObject({ folder: 'diffusion_models', confidence: 'medium', baseModelGuess: 'HiDream' });
  });

  it('knows nothing from an unknown architecture and unknown names', () => {
    const bytes = ggufBytes({ metadata: [['general.architecture', { type: 'string', value: 'mamba' }]], tensors: [{ name: 'mystery.weight', shape: [8] }] });
    expect(classifyGguf(parse(bytes)._unsafeUnwrap())).toMatchObject({ folder: null, confidence: 'low' });
  });
});

describe('readGgufHeader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-gguf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the header of a large sparse file on disk', async () => {
    const path = join(dir, 'flux1-dev-Q4_0.gguf');
    const header = ggufBytes({ metadata: [['general.architecture', { type: 'string', value: 'flux' }]], tensors: await fixtureTensors('flux-schnell-unet-only.json') });
    const handle = await open(path, 'w');
    await handle.write(header, 0, header.length, 0);
    await handle.truncate(6 * 1024 ** 3);
    await handle.close();
    const result = await readGgufHeader(path);
    expect(classifyGguf(result._unsafeUnwrap()).architecture).toBe('flux1-schnell');
  });
});
