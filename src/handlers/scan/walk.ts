// Finds model files under the models roots, the way ComfyUI lists them (recursive, by extension, `.git`
// skipped) but following the user's symlinks safely: every directory is entered at most once, identified by
// device and inode, so a link back to an ancestor cannot loop and a folder linked twice is walked once.
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** What ComfyUI and its GGUF loader read as model weights. */
export const MODEL_FILE_EXTENSIONS: readonly string[] = ['.safetensors', '.sft', '.gguf', '.ckpt', '.pt', '.pth', '.bin'];

export interface WalkedFile {
  /** The path as reached from its root, through any symlinks; for a file reachable twice, the first one seen. */
  readonly path: string;
  /** The file's canonical path (every symlink resolved). */
  readonly realPath: string;
  /** The root, as given, under which `path` was found. */
  readonly root: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface WalkWarning {
  /**
   * ROOT_MISSING: a root does not exist (not created yet, or its drive is not mounted).
   * DIR_UNREADABLE: a folder (or root) could not be listed; files under it were not seen.
   * BROKEN_SYMLINK / SYMLINK_LOOP: a link whose target is missing, or links that point at each other.
   * STAT_FAILED: an entry could not be examined for another reason (I/O error, permissions).
   */
  readonly code: 'ROOT_MISSING' | 'DIR_UNREADABLE' | 'BROKEN_SYMLINK' | 'SYMLINK_LOOP' | 'STAT_FAILED';
  readonly path: string;
  readonly message: string;
  /** The system error behind it (`ENOENT`, `EACCES`, `ENOTCONN`…), when there was one. */
  readonly errno?: string;
}

export interface WalkOptions {
  /** Extensions with the dot, matched case-insensitively against the name as listed (a link's own name). */
  readonly extensions: readonly string[];
  readonly signal?: AbortSignal;
  /** Folders never entered however they are reached: our own staging and quarantine folders. */
  readonly ownDirs?: readonly string[];
  onWarning?(warning: WalkWarning): void;
}

// Names never entered, as in ComfyUI's own listing.
const SKIPPED_DIR_NAMES = new Set(['.git']);
// Unfinished downloads, ours and other tools': a `.part` file is never a model.
const PARTIAL_SUFFIX = '.part';
// Bounded so that a large folder does not flood libuv's small thread pool, which downloads share.
const STAT_CONCURRENCY = 4;

const identity = (stats: Stats): string => `${stats.dev}:${stats.ino}`;

type Examined =
  | { readonly kind: 'file' | 'dir'; readonly path: string; readonly name: string; readonly stats: Stats; readonly viaLink: boolean }
  | { readonly kind: 'skip' };

interface WalkState {
  readonly extensions: ReadonlySet<string>;
  readonly visitedDirs: Set<string>;
  readonly seenFiles: Set<string>;
  readonly options: WalkOptions;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

function warn(state: WalkState, code: WalkWarning['code'], path: string, message: string, errno?: string): void {
  state.options.onWarning?.({ code, path, message, ...(errno === undefined ? {} : { errno }) });
}

function wanted(state: WalkState, name: string): boolean {
  const lower = name.toLowerCase();
  return !lower.endsWith(PARTIAL_SUFFIX) && state.extensions.has(extname(lower));
}

async function examine(state: WalkState, dir: string, entry: Dirent): Promise<Examined> {
  const path = join(dir, entry.name);
  const viaLink = entry.isSymbolicLink();
  if (entry.isDirectory() && SKIPPED_DIR_NAMES.has(entry.name)) return { kind: 'skip' };
  // Sockets, FIFOs and devices are never read: only regular files and folders, possibly behind links.
  if (!viaLink && !entry.isDirectory() && !(entry.isFile() && wanted(state, entry.name))) return { kind: 'skip' };
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = errorCode(error);
    if (viaLink && code === 'ENOENT') warn(state, 'BROKEN_SYMLINK', path, `symlink ${path} points to nothing; skipped`, code);
    else if (code === 'ELOOP') warn(state, 'SYMLINK_LOOP', path, `symlinks at ${path} point at each other; skipped`, code);
    else if (code !== 'ENOENT') warn(state, 'STAT_FAILED', path, `cannot examine ${path} (${code}); skipped`, code);
    return { kind: 'skip' };
  }
  if (stats.isDirectory() && !SKIPPED_DIR_NAMES.has(entry.name)) return { kind: 'dir', path, name: entry.name, stats, viaLink };
  if (stats.isFile() && wanted(state, entry.name)) return { kind: 'file', path, name: entry.name, stats, viaLink };
  return { kind: 'skip' };
}

async function examineAll(state: WalkState, dir: string, entries: readonly Dirent[]): Promise<Examined[]> {
  const examined: Examined[] = [];
  for (let at = 0; at < entries.length; at += STAT_CONCURRENCY) {
    state.options.signal?.throwIfAborted();
    const batch = entries.slice(at, at + STAT_CONCURRENCY);
    examined.push(...(await Promise.all(batch.map((entry) => examine(state, dir, entry)))));
  }
  return examined;
}

async function* walkDir(
  state: WalkState, root: string, dir: string, realDir: string,
): AsyncGenerator<WalkedFile, void, undefined> {
  state.options.signal?.throwIfAborted();
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    warn(state, 'DIR_UNREADABLE', dir, `cannot list ${dir} (${errorCode(error)}); its files were not scanned`, errorCode(error));
    return;
  }
  // Sorted, so that which of two paths to one file is reported does not depend on the filesystem's order.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const found of await examineAll(state, dir, entries)) {
    if (found.kind === 'skip') continue;
    const id = identity(found.stats);
    if (found.kind === 'dir') {
      if (state.visitedDirs.has(id)) continue;
      state.visitedDirs.add(id);
      const real = await realPathOf(found, realDir);
      if (real !== null) yield* walkDir(state, root, found.path, real);
      continue;
    }
    if (state.seenFiles.has(id)) continue;
    const real = await realPathOf(found, realDir);
    if (real === null) continue;
    state.seenFiles.add(id);
    state.options.signal?.throwIfAborted();
    const { dev, ino, size, mtimeMs } = found.stats;
    yield { path: found.path, realPath: real, root, dev, ino, size, mtimeMs };
  }
}

/** Only a link needs resolving; anything else sits in its folder's real path under its own name. */
async function realPathOf(found: Examined & { kind: 'file' | 'dir' }, realDir: string): Promise<string | null> {
  if (!found.viaLink) return join(realDir, found.name);
  try {
    return await realpath(found.path);
  } catch {
    // The link changed between stat and realpath: treat it as gone, as a later walk will.
    return null;
  }
}

async function directoryId(path: string): Promise<string | null> {
  try {
    const stats = await stat(path);
    return stats.isDirectory() ? identity(stats) : null;
  } catch {
    return null;
  }
}

/**
 * Every model file under `roots`, each physical file (device and inode) once: when one file is reachable by
 * several paths (symlinks, hard links, nested or repeated roots), the first seen wins, in root order and then in
 * name order within each folder. Unreadable folders, broken links and missing roots are reported through
 * `onWarning` and skipped. Aborting `signal` makes the iteration throw the signal's reason.
 */
export async function* walkModelFiles(roots: readonly string[], options: WalkOptions): AsyncGenerator<WalkedFile, void, undefined> {
  const state: WalkState = {
    extensions: new Set(options.extensions.map((extension) => extension.toLowerCase())),
    visitedDirs: new Set(),
    seenFiles: new Set(),
    options,
  };
  for (const own of options.ownDirs ?? []) {
    const id = await directoryId(own);
    if (id !== null) state.visitedDirs.add(id);
  }
  for (const root of roots) {
    options.signal?.throwIfAborted();
    let stats: Stats;
    let real: string;
    try {
      stats = await stat(root);
      real = await realpath(root);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') warn(state, 'ROOT_MISSING', root, `models folder ${root} does not exist; skipped`, code);
      else warn(state, 'DIR_UNREADABLE', root, `cannot open models folder ${root} (${code}); skipped`, code);
      continue;
    }
    if (!stats.isDirectory()) {
      warn(state, 'DIR_UNREADABLE', root, `models folder ${root} is not a folder; skipped`);
      continue;
    }
    const id = identity(stats);
    if (state.visitedDirs.has(id)) continue;
    state.visitedDirs.add(id);
    yield* walkDir(state, root, root, real);
  }
}
