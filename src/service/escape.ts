import { err, ok, type Result } from 'neverthrow';

/**
 * Checking and quoting values that go into a systemd unit (systemd.syntax(7) "Quoting", systemd.unit(5)
 * "Specifiers") or a desktop entry (Desktop Entry Specification, "The Exec key").
 */

export interface InvalidServiceInput {
  readonly code: 'INVALID_SERVICE_INPUT';
  readonly message: string;
}

export function invalidInput(message: string): InvalidServiceInput {
  return { code: 'INVALID_SERVICE_INPUT', message };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Both formats are line-based: a newline in a value would start a new directive of the attacker's choosing. */
export function checkNoControlCharacters(what: string, value: string): Result<string, InvalidServiceInput> {
  if (!CONTROL.test(value)) return ok(value);
  return err(invalidInput(`${what} ${JSON.stringify(value)} contains a line break or another control character, which a unit file cannot hold: rename the folder or choose another`));
}

/**
 * An absolute path in the form systemd accepts: doubled and trailing slashes and "." segments are dropped;
 * ".." is refused rather than resolved, because resolving it on paper gives a different folder than the
 * kernel does when the segment before it is a symbolic link.
 */
export function checkAbsolutePath(what: string, path: string): Result<string, InvalidServiceInput> {
  return checkNoControlCharacters(what, path).andThen(() => {
    if (!path.startsWith('/')) return err(invalidInput(`${what} ${JSON.stringify(path)} is not an absolute path: give the full path, starting with /`));
    const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
    if (segments.includes('..')) return err(invalidInput(`${what} ${JSON.stringify(path)} contains "..": give the path without it`));
    return ok(`/${segments.join('/')}`);
  });
}

/** systemd refuses a program path holding any of these, however it is quoted ("contains special characters"). */
const UNSAFE_IN_PROGRAM = /[\\"']/;

/** The program of an `ExecStart=` line: an absolute path systemd accepts. */
export function checkProgramPath(what: string, path: string): Result<string, InvalidServiceInput> {
  return checkAbsolutePath(what, path).andThen((normal) => {
    if (!UNSAFE_IN_PROGRAM.test(normal)) return ok(normal);
    return err(invalidInput(`${what} ${JSON.stringify(normal)} contains a quote or a backslash, which systemd refuses in a program path: link the program from a plainer path and give that`));
  });
}

/** A double-quoted systemd word: backslash and quote escaped, and `%` doubled so no specifier is expanded. */
export function systemdQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/**
 * An argument of an `ExecStart=` command line, where `$` would also expand an environment variable. (The
 * program itself is not expanded: quote it with `systemdQuote`.)
 */
export function systemdExecWord(value: string): string {
  return systemdQuote(value).replace(/\$/g, '$$$$');
}

/**
 * One argument of a desktop entry's `Exec=`: quoted (`"`, `` ` ``, `$` and `\` escaped), `%` doubled so it is
 * no field code, then escaped once more as a string value, whose reader undoes `\\` before unquoting.
 */
export function desktopExecArgument(value: string): string {
  const quoted = `"${value.replace(/["`$\\]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
  return desktopString(quoted);
}

/** A desktop entry string value (the spec's escapes: `\\`; other control characters are refused earlier). */
export function desktopString(value: string): string {
  return value.replace(/\\/g, '\\\\');
}
