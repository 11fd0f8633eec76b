import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PartFile, checkFreeSpace } from '../../src/transfer/part-file.js';
import { tempDir } from './harness.js';

let folder: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  folder = await tempDir();
});
afterAll(async () => {
  await folder?.cleanup();
});

describe('PartFile', () => {
  it('keeps the bytes already there, sizes the file, writes at positions and wipes', async () => {
    const path = join(folder.dir, 'a.part');
    await writeFile(path, 'abc');
    const part = (await PartFile.open(path, 8))._unsafeUnwrap();
    expect(part.sizeFound).toBe(3);
    (await part.write(Buffer.from('XY'), 5))._unsafeUnwrap();
    (await part.datasync())._unsafeUnwrap();
    expect(await readFile(path)).toEqual(Buffer.from('abc\0\0XY\0'));
    (await part.wipe())._unsafeUnwrap();
    expect(await readFile(path)).toEqual(Buffer.alloc(8));
    await part.close();
  });

  it('turns ENOSPC during a write into DISK_FULL (on /dev/full, which always answers ENOSPC)', async () => {
    const part = (await PartFile.open('/dev/full', 0))._unsafeUnwrap();
    const failed = (await part.write(Buffer.alloc(4096), 0))._unsafeUnwrapErr();
    expect(failed).toMatchObject({ code: 'DISK_FULL', folder: '/dev' });
    expect(failed.message).toMatch(/Not enough disk space/);
    await part.close();
  });

  it('reports other file errors as DISK_IO with the errno', async () => {
    const error = (await PartFile.open(join(folder.dir, 'missing', 'x.part'), 10))._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'DISK_IO', errno: 'ENOENT' });
    expect((await checkFreeSpace(join(folder.dir, 'missing'), 1))._unsafeUnwrapErr()).toMatchObject({ code: 'DISK_IO', errno: 'ENOENT' });
    (await checkFreeSpace(folder.dir, 1))._unsafeUnwrap();
  });
});
