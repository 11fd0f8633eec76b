import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeaderInspector } from '../../src/routing/inspect.js';
import { MAX_TENSORS } from '../../src/routing/safetensors-json.js';
import { buildSafetensorsHeader } from '../../src/safetensors/build.js';

/** A valid-looking safetensors file whose header is `headerBytes` of one-byte tensors; the data part is sparse. */
async function hostileFile(path: string, headerBytes: number): Promise<void> {
  const parts: string[] = [];
  let size = 2;
  let offset = 0;
  while (size < headerBytes) {
    const entry = `"t${offset}":{"dtype":"U8","shape":[1],"data_offsets":[${offset},${offset + 1}]}`;
    parts.push(entry);
    size += entry.length + 1;
    offset++;
  }
  const body = Buffer.from(`{${parts.join(',')}}`);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(body.length));
  const handle = await open(path, 'w');
  try {
    await handle.write(Buffer.concat([prefix, body]));
    await handle.truncate(8 + body.length + offset);
  } finally {
    await handle.close();
  }
}

/** The longest the event loop went without running a 10 ms timer, from now until stop(). */
function eventLoopGaps(): { stop(): number } {
  let longest = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  return {
    stop: () => {
      clearInterval(probe);
      return longest;
    },
  };
}

describe('header reading off the main thread, within a budget', () => {
  let dir: string;
  let hostile: string;
  let lora: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-header-worker-'));
    hostile = join(dir, 'hostile.safetensors');
    // 77 MB of header: about 1.2 million tensors, some 20 s of parsing on one thread.
    await hostileFile(hostile, 77 * 1024 * 1024);
    const { prefix, fileLength } = buildSafetensorsHeader({ 'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': { dtype: 'F16', shape: [4, 320] } });
    lora = join(dir, 'lora.safetensors');
    await writeFile(lora, Buffer.concat([prefix, Buffer.alloc(fileLength - prefix.length)]));
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a 77 MB hostile header leaves the event loop free and is refused; the next file is read', async () => {
    const inspector = createHeaderInspector();
    try {
      const gaps = eventLoopGaps();
      const result = await inspector.inspect(hostile);
      // On the main thread this header blocked it for its whole parse (20 s before the reader's limits).
      expect(gaps.stop()).toBeLessThan(1000);
      expect(result).toMatchObject({ code: 'HEADER_TOO_LARGE', message: expect.stringContaining(`more than ${MAX_TENSORS} tensors`) });
      expect(await inspector.inspect(lora)).toMatchObject({ kind: 'lora', folder: 'loras' });
    } finally {
      await inspector.close();
    }
  }, 60_000);

  it('ends a read past its time budget and reads the next file with a fresh worker', async () => {
    const inspector = createHeaderInspector({ timeoutMs: 100 });
    try {
      const gaps = eventLoopGaps();
      expect(await inspector.inspect(hostile)).toMatchObject({ code: 'HEADER_BUDGET_EXCEEDED', message: expect.stringContaining('took over 0.1 s') });
      expect(gaps.stop()).toBeLessThan(1000);
      expect(await inspector.inspect(lora)).toMatchObject({ kind: 'lora' });
    } finally {
      await inspector.close();
    }
  }, 60_000);

  it('answers files one after another, each with its own result', async () => {
    const inspector = createHeaderInspector();
    try {
      const results = await Promise.all([inspector.inspect(lora), inspector.inspect(join(dir, 'absent.safetensors')), inspector.inspect(lora, 'x.ckpt')]);
      expect(results).toEqual([expect.objectContaining({ kind: 'lora' }), expect.objectContaining({ code: 'READ_FAILED' }), 'pickle']);
    } finally {
      await inspector.close();
    }
  });
});
