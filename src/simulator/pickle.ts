// A harmless stand-in for a torch pickle: a protocol-2 pickle of `{name: None, …}` (only dict, string and None
// opcodes, so unpickling it can run nothing), which a scanner can list like a real state dict.
const PROTO = 0x80;
const EMPTY_DICT = 0x7d; // }
const MARK = 0x28; // (
const BINUNICODE = 0x58; // X
const NONE = 0x4e; // N
const SETITEMS = 0x75; // u
const STOP = 0x2e; // .

export function benignStateDictPickle(keys: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([PROTO, 2, EMPTY_DICT, MARK])];
  for (const key of keys) {
    const utf8 = Buffer.from(key, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = BINUNICODE;
    head.writeUInt32LE(utf8.length, 1);
    parts.push(head, utf8, Buffer.from([NONE]));
  }
  parts.push(Buffer.from([SETITEMS, STOP]));
  return Buffer.concat(parts);
}
