// Model paths as the routing decision compares them: node:path's POSIX functions, with what they lack.
import { posix } from 'node:path';

/** posix.normalize without a trailing slash, so one folder has one spelling and compares equal as a string. */
export function normalizePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** posix.join, except that an absolute segment restarts the path (as posix.resolve does, without the cwd). */
export function joinPath(...segments: readonly string[]): string {
  const restart = segments.findLastIndex((segment) => posix.isAbsolute(segment));
  return normalizePath(posix.join(...segments.slice(Math.max(0, restart))));
}

/** True when `path` is `directory` itself or lies below it (both normalised first). */
export function isInside(path: string, directory: string): boolean {
  const child = normalizePath(path);
  const parent = normalizePath(directory);
  return child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
}
