// Which catalog paths one scan could have seen. A file under a folder that is gone (a root or a symlink whose
// target no longer exists, a mount that went away) is missing; a file under a folder that could not be read for
// another reason (permissions) is not known to be gone, so the scan must not call it missing.
import type { WalkWarning } from './walk.js';

const isUnder = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

export interface ScanScopeInput {
  /** Catalog paths relative to it are this root's. */
  readonly modelsDir: string;
  /** Other roots, absolute; their catalog paths are absolute too. */
  readonly extraRoots: readonly string[];
  /** Roots (as given) the walk could not enter at all. */
  readonly unscannedRoots: ReadonlySet<string>;
  /** Folders and files, named as catalog paths, whose contents the walk could not see. */
  readonly unseen: readonly string[];
}

export function scanScope(input: ScanScopeInput): (catalogPath: string) => boolean {
  return (path) => {
    const root = path.startsWith('/') ? input.extraRoots.find((r) => isUnder(path, r)) : input.modelsDir;
    if (root === undefined || input.unscannedRoots.has(root)) return false;
    return !input.unseen.some((dir) => isUnder(path, dir));
  };
}

/** Errors of a filesystem that went away: an unplugged or unmounted drive, a dead network or FUSE mount. */
const VANISHED = new Set(['ENOENT', 'ENOTCONN', 'ESTALE', 'ENODEV', 'ENXIO', 'EHOSTDOWN', 'EIO']);

/**
 * What a walk warning says about the files below its path: `gone` (a missing root, a symlink pointing at nothing,
 * a mount that vanished: ComfyUI cannot see them either, so they are missing) or `unknown` (unreadable for another
 * reason, such as permissions: left as they were).
 */
export function warningMeans(warning: WalkWarning): 'gone' | 'unknown' {
  if (warning.code === 'ROOT_MISSING' || warning.code === 'BROKEN_SYMLINK') return 'gone';
  return warning.errno !== undefined && VANISHED.has(warning.errno) ? 'gone' : 'unknown';
}
