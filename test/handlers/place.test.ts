import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearQuarantine, placeFile, quarantineFile } from '../../src/handlers/download/place.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('placing a verified file', () => {
  let dir: string;
  const bytes = Buffer.from('model bytes');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-place-'));
    mkdirSync(join(dir, 'staging'));
    writeFileSync(join(dir, 'staging', 'j.part'), bytes);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('moves the file to its destination, creating folders', async () => {
    const dest = join(dir, 'models', 'loras', 'SDXL', 'a.safetensors');
    const placed = (await placeFile(join(dir, 'staging', 'j.part'), dest, sha(bytes)))._unsafeUnwrap();
    expect(placed).toEqual({ path: dest, alreadyPresent: false });
    expect(readFileSync(dest)).toEqual(bytes);
    expect(existsSync(join(dir, 'staging', 'j.part'))).toBe(false);
  });

  it('keeps an identical file already there', async () => {
    const dest = join(dir, 'a.safetensors');
    writeFileSync(dest, bytes);
    const placed = (await placeFile(join(dir, 'staging', 'j.part'), dest, sha(bytes)))._unsafeUnwrap();
    expect(placed).toEqual({ path: dest, alreadyPresent: true });
    expect(existsSync(join(dir, 'staging', 'j.part'))).toBe(false);
  });

  it('never overwrites a different file: the new one gets a hash suffix', async () => {
    const dest = join(dir, 'a.safetensors');
    writeFileSync(dest, 'someone else');
    const placed = (await placeFile(join(dir, 'staging', 'j.part'), dest, sha(bytes)))._unsafeUnwrap();
    expect(placed.path).toBe(join(dir, `a_${sha(bytes).slice(0, 8)}.safetensors`));
    expect(readFileSync(dest, 'utf8')).toBe('someone else');
    expect(readFileSync(placed.path)).toEqual(bytes);
  });

  it('keeps only the newest quarantined copy of a job, and clears them when the job completes', async () => {
    const q = join(dir, 'quarantine');
    const first = await quarantineFile(join(dir, 'staging', 'j.part'), q, 'job1', 'bad.safetensors');
    expect(readFileSync(first)).toEqual(bytes);
    writeFileSync(join(dir, 'staging', 'k.part'), 'again');
    const second = await quarantineFile(join(dir, 'staging', 'k.part'), q, 'job1', 'sub/bad.safetensors');
    writeFileSync(join(dir, 'staging', 'o.part'), 'other job');
    const other = await quarantineFile(join(dir, 'staging', 'o.part'), q, 'job2', 'bad.safetensors');
    expect(readdirSync(q).sort()).toEqual(['job1-sub_bad.safetensors', 'job2-bad.safetensors']);
    expect(readFileSync(second, 'utf8')).toBe('again');
    await clearQuarantine(q, 'job1');
    expect(readdirSync(q)).toEqual(['job2-bad.safetensors']);
    expect(readFileSync(other, 'utf8')).toBe('other job');
  });
});
