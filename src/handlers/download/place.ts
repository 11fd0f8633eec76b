import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';

export type PlaceError = { readonly code: 'PLACE_FAILED' | 'DISK_FULL'; readonly message: string };

export interface Placed {
  /** Absolute path of the model file now in place. */
  readonly path: string;
  /** An identical file already sat at the destination and was kept. */
  readonly alreadyPresent: boolean;
}

/** Makes a file's data and a folder's entry durable: a rename is not safe until the folder is synced too. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** The SHA-256 of a file, or undefined when there is none at that path. */
export async function hashIfExists(path: string): Promise<string | undefined> {
  return (await exists(path)) ? sha256Of(path) : undefined;
}

/**
 * Moves a verified file into place without ever replacing a different file: `link` fails if the name is taken
 * (no check-then-rename race), and the data and both folders are synced so a crash leaves either the old state
 * or the new one. A taken name with other content gets the hash's first 8 digits appended, unless `exactName`:
 * then the placement fails and says so.
 */
export async function placeFile(source: string, destination: string, sha256: string, options: { exactName?: boolean } = {}): Promise<Result<Placed, PlaceError>> {
  const ext = extname(destination);
  const candidates = options.exactName
    ? [destination]
    : [destination, join(dirname(destination), `${basename(destination, ext)}_${sha256.slice(0, 8)}${ext}`)];
  try {
    await mkdir(dirname(destination), { recursive: true });
    await fsyncPath(source);
    for (const candidate of candidates) {
      try {
        await link(source, candidate);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const [a, b] = await Promise.all([stat(candidate), stat(source)]);
        if (a.size === b.size && (await sha256Of(candidate)) === sha256) {
          await unlink(source);
          return ok({ path: candidate, alreadyPresent: true });
        }
        continue;
      }
      await fsyncPath(dirname(candidate));
      await unlink(source);
      await fsyncPath(dirname(source));
      return ok({ path: candidate, alreadyPresent: false });
    }
    return err({
      code: 'PLACE_FAILED',
      message: options.exactName
        ? `cannot place ${basename(destination)}: a different file already is ${destination}, and the workflow loads this name only; move it away and retry`
        : `cannot place ${basename(destination)}: different files already use both ${candidates.join(' and ')}; move one away and retry`,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') return err({ code: 'DISK_FULL', message: `the disk holding ${dirname(destination)} is full: free some space, then \`comfyui-dl resume\`` });
    return err({ code: 'PLACE_FAILED', message: `cannot place ${basename(destination)} in ${dirname(destination)}: ${(e as Error).message}` });
  }
}

const quarantinePrefix = (jobId: string): string => `${jobId}-`;

/** Deletes every quarantined copy a job left: it completed, or a newer copy replaces them. */
export async function clearQuarantine(quarantineDir: string, jobId: string): Promise<void> {
  const names = await readdir(quarantineDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(quarantinePrefix(jobId))).map((n) => rm(join(quarantineDir, n), { force: true })));
}

/**
 * Moves a file that failed verification out of the models tree (possibly to another filesystem), as the job's
 * only quarantined copy: the newest bad download is the one worth a look, and a disk never fills with old ones.
 */
export async function quarantineFile(source: string, quarantineDir: string, jobId: string, fileName: string): Promise<string> {
  await mkdir(quarantineDir, { recursive: true, mode: 0o700 });
  await clearQuarantine(quarantineDir, jobId);
  const target = join(quarantineDir, `${quarantinePrefix(jobId)}${fileName.replace(/[/\\]/g, '_')}`);
  try {
    await rename(source, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(source, target);
    await unlink(source);
  }
  return target;
}
