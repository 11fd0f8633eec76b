/**
 * Where a JSON text goes wrong, as line and column. `JSON.parse` only reports a position on newer
 * Node versions and quotes the input in its message, so a hand-edited config file gets this instead.
 * Called only after `JSON.parse` failed; it checks syntax and builds nothing.
 */

export interface JsonSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let pos = 0;
  let failure: { at: number; reason: string } | undefined;

  const fail = (reason: string): false => {
    failure ??= { at: pos, reason };
    return false;
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const unexpected = (): false => {
    const c = text.charAt(pos);
    if (c === '') return fail('the text ends too early');
    if (c === '/' || c === '#') return fail('comments are not allowed in JSON');
    if (c === "'") return fail('strings need double quotes');
    return fail(`unexpected character '${c}'`);
  };

  const string = (): boolean => {
    pos++;
    for (;;) {
      const c = text.charAt(pos);
      if (c === '') return fail('a string is not closed');
      if (c === '"') {
        pos++;
        return true;
      }
      if (c < ' ') return fail('line breaks and control characters must be escaped inside strings');
      if (c === '\\') {
        pos++;
        const escape = text.charAt(pos);
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 1, pos + 5))) return fail('\\u must be followed by 4 hex digits');
          pos += 4;
        } else if (escape === '' || !'"\\/bfnrt'.includes(escape)) {
          return fail(`invalid escape '\\${escape}'`);
        }
      }
      pos++;
    }
  };

  const members = (close: '}' | ']', member: () => boolean, depth: number): boolean => {
    if (depth > MAX_DEPTH) return fail('nested too deeply');
    pos++;
    skipSpace();
    if (text.charAt(pos) === close) {
      pos++;
      return true;
    }
    for (;;) {
      skipSpace();
      if (text.charAt(pos) === close) return fail(`remove the comma before '${close}'`);
      if (!member()) return false;
      skipSpace();
      const c = text.charAt(pos);
      if (c === close) {
        pos++;
        return true;
      }
      if (c !== ',') return c === '' ? unexpected() : fail(`expected ',' or '${close}'`);
      pos++;
    }
  };

  const value = (depth: number): boolean => {
    skipSpace();
    const c = text.charAt(pos);
    if (c === '{') {
      return members('}', () => {
        const start = text.charAt(pos);
        if (start !== '"') return start !== '' && "'/#".includes(start) ? unexpected() : fail('expected a "quoted" key');
        if (!string()) return false;
        skipSpace();
        if (text.charAt(pos) !== ':') return fail("expected ':' after the key");
        pos++;
        return value(depth + 1);
      }, depth);
    }
    if (c === '[') return members(']', () => value(depth + 1), depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = pos;
      if (!NUMBER.test(text)) return fail('invalid number');
      pos = NUMBER.lastIndex;
      return true;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return true;
      }
    }
    return unexpected();
  };

  if (value(0)) {
    skipSpace();
    if (pos < text.length) fail('unexpected text after the end of the JSON value');
  }
  if (failure === undefined) return undefined;
  const before = text.slice(0, failure.at);
  const line = before.split('\n').length;
  return { line, column: failure.at - (before.lastIndexOf('\n') + 1) + 1, reason: failure.reason };
}
