// POSIX path arithmetic without node:path, so the pure routing modules stay free of Node imports.

/** Joins segments; an absolute segment restarts the path (as os.path.join and path.posix.join's resolve do). */
export function joinPath(...segments: readonly string[]): string {
  let joined = '';
  for (const segment of segments) {
    if (segment === '') continue;
    joined = segment.startsWith('/') || joined === '' ? segment : `${joined}/${segment}`;
  }
  return normalizePath(joined);
}

/** Collapses `//`, `.` and `..` (never above `/` for absolute paths) and drops a trailing slash. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts.at(-1) !== '..') parts.pop();
      else if (!absolute) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const body = parts.join('/');
  return absolute ? `/${body}` : body || '.';
}

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}

/** True when `path` is `directory` itself or lies below it (both normalised first). */
export function isInside(path: string, directory: string): boolean {
  const child = normalizePath(path);
  const parent = normalizePath(directory);
  return child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
}

export function parentPath(path: string): string {
  const normal = normalizePath(path);
  const slash = normal.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : normal.slice(0, slash);
}

export function baseName(path: string): string {
  const normal = normalizePath(path);
  return normal.slice(normal.lastIndexOf('/') + 1);
}
