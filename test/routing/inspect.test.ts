import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sniffContainer } from '../../src/routing/container.js';
import { decideRoute } from '../../src/routing/decide.js';
import { inspectModelFile } from '../../src/routing/inspect.js';
import { buildSafetensorsHeader } from '../../src/safetensors/build.js';
import { ggufBytes } from './support/gguf-bytes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-inspect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sparse(name: string, head: Buffer, length: number): Promise<string> {
  const path = join(dir, name);
  const handle = await open(path, 'w');
  await handle.write(head, 0, head.length, 0);
  await handle.truncate(length);
  await handle.close();
  return path;
}

describe('sniffContainer', () => {
  it('trusts content before the name', () => {
    expect(sniffContainer(Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'), 'x.safetensors')).toBe('gguf');
    expect(sniffContainer(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]), 'x.safetensors')).toBe('pickle');
    expect(sniffContainer(Buffer.from([0x80, 0x02, 0x7d, 0x71, 0, 0, 0, 0]), 'x.safetensors')).toBe('pickle');
    expect(sniffContainer(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), 'embedding.PT')).toBe('pickle');
    expect(sniffContainer(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), 'model.sft')).toBe('safetensors');
  });
});

describe('inspectModelFile', () => {
  it('classifies a safetensors file from its header only', async () => {
    const { prefix, fileLength } = buildSafetensorsHeader({ 'decoder.conv_in.weight': { dtype: 'F16', shape: [512, 16, 3, 3] } });
    const result = await inspectModelFile(await sparse('ae.safetensors', prefix, fileLength));
    expect(result).toMatchObject({ folder: 'vae', architecture: 'ae-16ch' });
  });

  it('classifies a GGUF file', async () => {
    const bytes = ggufBytes({ metadata: [['general.architecture', { type: 'string', value: 't5' }]], tensors: [{ name: 'token_embd.weight', shape: [32128, 4096] }] });
    expect(await inspectModelFile(await sparse('t5-Q8.gguf', bytes, bytes.length + 4096))).toMatchObject({ folder: 'text_encoders', container: 'gguf' });
  });

  it('never opens a pickle, and the decision follows CivitAI', async () => {
    const path = join(dir, 'model.ckpt');
    await writeFile(path, Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]));
    const header = await inspectModelFile(path);
    expect(header).toBe('pickle');
    expect(decideRoute({ header, declaredType: 'Checkpoint', fileName: 'model.ckpt' })).toMatchObject({ folder: 'checkpoints', flagged: 'pickle' });
  });

  it('reports a truncated safetensors download', async () => {
    const { prefix, fileLength } = buildSafetensorsHeader({ w: { dtype: 'F32', shape: [1024] } });
    const header = await inspectModelFile(await sparse('cut.safetensors', prefix, fileLength - 100));
    expect(header).toMatchObject({ code: 'FILE_LENGTH_MISMATCH' });
    expect(decideRoute({ header, declaredType: 'LORA', fileName: 'cut.safetensors' })).toMatchObject({ folder: 'loras', flagged: 'unreadable-header', recheckHash: true });
  });

  it('turns a missing file into READ_FAILED', async () => {
    expect(await inspectModelFile(join(dir, 'absent.safetensors'))).toMatchObject({ code: 'READ_FAILED' });
  });
});
