// Which catalog paths one scan could have seen. A file under a root that is absent (an unmounted drive) or a
// folder that could not be read is not known to be gone, so the scan must not call it missing.

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

/** The first folder below the file's root: `loras/x/y.safetensors` → `loras`; a file in the root itself → `.`. */
export function folderOf(pathInRoot: string): string {
  const slash = pathInRoot.indexOf('/');
  return slash > 0 ? pathInRoot.slice(0, slash) : '.';
}
