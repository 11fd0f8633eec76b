// The D-Bus message wire format (D-Bus specification, "Message Protocol"), for the subset of types a
// notification client needs: everything except Unix file descriptors. Pure: bytes in, values out.
//
// Values are plain data driven by the signature: integers and doubles are numbers, 64-bit integers are bigints,
// structs and dict entries are arrays (a{sv} is an array of [key, variant] pairs), variants carry their signature.
import { err, ok, type Result } from 'neverthrow';

export type DBusValue = number | bigint | boolean | string | readonly DBusValue[] | DBusVariant;

export interface DBusVariant {
  readonly signature: string;
  readonly value: DBusValue;
}

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const MessageFlag = { NoReplyExpected: 0x1, NoAutoStart: 0x2 } as const;

export interface DBusMessage {
  readonly type: MessageType;
  readonly flags: number;
  readonly serial: number;
  readonly path?: string;
  readonly interface?: string;
  readonly member?: string;
  readonly errorName?: string;
  readonly replySerial?: number;
  readonly destination?: string;
  readonly sender?: string;
  readonly signature: string;
  readonly body: readonly DBusValue[];
}

export interface WireError {
  readonly code: 'DBUS_PROTOCOL_ERROR';
  readonly message: string;
}

/** Raised inside the codec; the exported decoders turn it into a WireError result. */
class MalformedMessage extends Error {}

const HeaderField = {
  path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8,
} as const;

const FIXED_HEADER_BYTES = 16;
// The specification's hard limit; a larger length means a corrupt or hostile stream.
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
const PROTOCOL_VERSION = 1;

const alignmentOf = (code: string): number => {
  switch (code) {
    case 'y': case 'g': case 'v': return 1;
    case 'n': case 'q': return 2;
    case 'b': case 'i': case 'u': case 's': case 'o': case 'a': return 4;
    case 'x': case 't': case 'd': case '(': case '{': return 8;
    default: throw new MalformedMessage(`unsupported D-Bus type code '${code}'`);
  }
};

const align = (offset: number, to: number): number => (offset + to - 1) & ~(to - 1);

const FIXED_SIZE: Readonly<Record<string, number>> = { y: 1, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8 };

// The specification allows 32 levels of arrays plus 32 of structs; deeper nesting can only come from a corrupt
// stream and would otherwise recurse without bound through variants.
const MAX_NESTING = 64;

/** Index just past the single complete type starting at `start` in `signature`. */
function completeTypeEnd(signature: string, start: number): number {
  const code = signature[start];
  if (code === undefined) throw new MalformedMessage(`signature '${signature}' ends inside a type`);
  if (code === 'a') return completeTypeEnd(signature, start + 1);
  if (code === '(' || code === '{') {
    const close = code === '(' ? ')' : '}';
    let at = start + 1;
    while (signature[at] !== close) {
      if (at >= signature.length) throw new MalformedMessage(`unclosed '${code}' in signature '${signature}'`);
      at = completeTypeEnd(signature, at);
    }
    return at + 1;
  }
  alignmentOf(code);
  return start + 1;
}

/** Splits a signature such as "susssasa{sv}i" into its complete types. */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  for (let at = 0; at < signature.length; ) {
    const end = completeTypeEnd(signature, at);
    types.push(signature.slice(at, end));
    at = end;
  }
  return types;
}

function memberTypes(containerType: string): string[] {
  return splitSignature(containerType.slice(1, -1));
}

class Writer {
  private buffer = Buffer.alloc(256);
  length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  pad(to: number): void {
    const target = align(this.length, to);
    this.reserve(target - this.length);
    this.buffer.fill(0, this.length, target);
    this.length = target;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  fixed(code: string, value: number | bigint): void {
    const size = FIXED_SIZE[code];
    if (size === undefined) throw new TypeError(`not a fixed-size D-Bus type: ${code}`);
    this.pad(size);
    this.reserve(size);
    const at = this.length;
    switch (code) {
      case 'y': this.buffer.writeUInt8(value as number, at); break;
      case 'n': this.buffer.writeInt16LE(value as number, at); break;
      case 'q': this.buffer.writeUInt16LE(value as number, at); break;
      case 'i': this.buffer.writeInt32LE(value as number, at); break;
      case 'u': this.buffer.writeUInt32LE(value as number, at); break;
      case 'x': this.buffer.writeBigInt64LE(value as bigint, at); break;
      case 't': this.buffer.writeBigUInt64LE(value as bigint, at); break;
      default: this.buffer.writeDoubleLE(value as number, at); break;
    }
    this.length += size;
  }

  patchUint32(at: number, value: number): void {
    this.buffer.writeUInt32LE(value, at);
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function checked<T>(fits: boolean, value: unknown, type: string): T {
  if (!fits) throw new TypeError(`D-Bus type '${type}' cannot hold ${JSON.stringify(String(value))}`);
  return value as T;
}

function writeValue(w: Writer, type: string, value: DBusValue): void {
  const code = type[0];
  switch (code) {
    case 'y': case 'n': case 'q': case 'i': case 'u': case 'd':
      w.fixed(code, checked<number>(typeof value === 'number', value, type));
      return;
    case 'x': case 't':
      w.fixed(code, checked<bigint>(typeof value === 'bigint', value, type));
      return;
    case 'b':
      w.fixed('u', checked<boolean>(typeof value === 'boolean', value, type) ? 1 : 0);
      return;
    case 's': case 'o': {
      // A NUL inside a string is invalid on the wire, and the bus drops a connection that sends one.
      const data = Buffer.from(checked<string>(typeof value === 'string' && !value.includes('\0'), value, type), 'utf8');
      w.fixed('u', data.length);
      w.bytes(data);
      w.bytes(new Uint8Array(1));
      return;
    }
    case 'g': {
      const data = Buffer.from(checked<string>(typeof value === 'string' && !value.includes('\0'), value, type), 'utf8');
      w.fixed('y', data.length);
      w.bytes(data);
      w.bytes(new Uint8Array(1));
      return;
    }
    case 'v': {
      const variant = checked<DBusVariant>(
        typeof value === 'object' && !Array.isArray(value) && value !== null, value, type);
      writeValue(w, 'g', variant.signature);
      writeValue(w, variant.signature, variant.value);
      return;
    }
    case 'a': {
      const items = checked<readonly DBusValue[]>(Array.isArray(value), value, type);
      const itemType = type.slice(1);
      w.pad(4);
      const lengthAt = w.length;
      w.fixed('u', 0);
      // The length counts element bytes only, not the padding that aligns the first element.
      w.pad(alignmentOf(itemType[0] ?? ''));
      const start = w.length;
      for (const item of items) writeValue(w, itemType, item);
      w.patchUint32(lengthAt, w.length - start);
      return;
    }
    case '(': case '{': {
      const members = memberTypes(type);
      const fields = checked<readonly DBusValue[]>(
        Array.isArray(value) && value.length === members.length, value, type);
      w.pad(8);
      members.forEach((memberType, i) => writeValue(w, memberType, fields[i] as DBusValue));
      return;
    }
    default:
      throw new TypeError(`unsupported D-Bus type '${type}'`);
  }
}

/** Marshals values for a body with the given signature (the body starts 8-aligned, so offsets start at 0). */
export function marshalBody(signature: string, values: readonly DBusValue[]): Buffer {
  const types = splitSignature(signature);
  if (types.length !== values.length) {
    throw new TypeError(`signature '${signature}' needs ${types.length} values, got ${values.length}`);
  }
  const w = new Writer();
  types.forEach((type, i) => writeValue(w, type, values[i] as DBusValue));
  return w.result();
}

export type OutgoingMessage = Omit<DBusMessage, 'sender'>;

/** A complete little-endian message: fixed header, header fields, padding, body. */
export function marshalMessage(message: OutgoingMessage): Buffer {
  const body = marshalBody(message.signature, message.body);
  const fields: [number, DBusVariant][] = [];
  const add = (code: number, signature: string, value: DBusValue | undefined): void => {
    if (value !== undefined) fields.push([code, { signature, value }]);
  };
  add(HeaderField.path, 'o', message.path);
  add(HeaderField.interface, 's', message.interface);
  add(HeaderField.member, 's', message.member);
  add(HeaderField.errorName, 's', message.errorName);
  add(HeaderField.replySerial, 'u', message.replySerial);
  add(HeaderField.destination, 's', message.destination);
  if (message.signature !== '') add(HeaderField.signature, 'g', message.signature);

  const w = new Writer();
  w.bytes(Buffer.from('l'));
  w.fixed('y', message.type);
  w.fixed('y', message.flags);
  w.fixed('y', PROTOCOL_VERSION);
  w.fixed('u', body.length);
  w.fixed('u', message.serial);
  writeValue(w, 'a(yv)', fields);
  w.pad(8);
  w.bytes(body);
  return Buffer.from(w.result());
}

class Reader {
  constructor(
    private readonly buffer: Buffer,
    private readonly littleEndian: boolean,
    public offset = 0,
  ) {}

  private need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) {
      throw new MalformedMessage(`message ends early (needed ${bytes} bytes at offset ${this.offset})`);
    }
  }

  skipTo(to: number): void {
    const target = align(this.offset, to);
    this.need(target - this.offset);
    this.offset = target;
  }

  fixed(code: string): number | bigint {
    const size = FIXED_SIZE[code];
    if (size === undefined) throw new MalformedMessage(`not a fixed-size D-Bus type: ${code}`);
    this.skipTo(size);
    this.need(size);
    const b = this.buffer;
    const at = this.offset;
    const le = this.littleEndian;
    this.offset += size;
    switch (code) {
      case 'y': return b.readUInt8(at);
      case 'n': return le ? b.readInt16LE(at) : b.readInt16BE(at);
      case 'q': return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
      case 'i': return le ? b.readInt32LE(at) : b.readInt32BE(at);
      case 'u': return le ? b.readUInt32LE(at) : b.readUInt32BE(at);
      case 'x': return le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
      case 't': return le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
      default: return le ? b.readDoubleLE(at) : b.readDoubleBE(at);
    }
  }

  text(length: number): string {
    this.need(length + 1);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    if (this.buffer[this.offset + length] !== 0) throw new MalformedMessage('string is not NUL-terminated');
    this.offset += length + 1;
    return value;
  }

  value(type: string, depth = 0): DBusValue {
    if (depth > MAX_NESTING) throw new MalformedMessage('values nested deeper than the protocol allows');
    const code = type[0];
    switch (code) {
      case 'y': case 'n': case 'q': case 'i': case 'u': case 'd': case 'x': case 't':
        return this.fixed(code);
      case 'b': {
        const raw = this.fixed('u');
        if (raw !== 0 && raw !== 1) throw new MalformedMessage(`boolean holds ${raw}`);
        return raw === 1;
      }
      case 's': case 'o':
        return this.text(this.fixed('u') as number);
      case 'g':
        return this.text(this.fixed('y') as number);
      case 'v': {
        const signature = this.text(this.fixed('y') as number);
        const types = splitSignature(signature);
        if (types.length !== 1) throw new MalformedMessage(`variant signature '${signature}' is not one type`);
        return { signature, value: this.value(signature, depth + 1) };
      }
      case 'a': {
        const length = this.fixed('u') as number;
        const itemType = type.slice(1);
        this.skipTo(alignmentOf(itemType[0] ?? ''));
        const end = this.offset + length;
        this.need(length);
        const items: DBusValue[] = [];
        while (this.offset < end) items.push(this.value(itemType, depth + 1));
        if (this.offset !== end) throw new MalformedMessage('array elements overrun the array length');
        return items;
      }
      case '(': case '{':
        this.skipTo(8);
        return memberTypes(type).map((memberType) => this.value(memberType, depth + 1));
      default:
        throw new MalformedMessage(`unsupported D-Bus type '${type}'`);
    }
  }
}

function decodeBody(body: Buffer, signature: string, littleEndian: boolean): DBusValue[] {
  const reader = new Reader(body, littleEndian);
  const values = splitSignature(signature).map((type) => reader.value(type));
  if (reader.offset !== body.length) throw new MalformedMessage('body is longer than its signature');
  return values;
}

function protocolError(cause: unknown): WireError {
  if (cause instanceof MalformedMessage) return { code: 'DBUS_PROTOCOL_ERROR', message: `malformed D-Bus message: ${cause.message}` };
  throw cause;
}

const isMessageType = (n: number): n is MessageType => n >= 1 && n <= 4;

/** Null for a message type this protocol version does not define: receivers must ignore those. */
function decodeMessage(frame: Buffer): DBusMessage | null {
  const endian = String.fromCharCode(frame[0] ?? 0);
  if (endian !== 'l' && endian !== 'B') throw new MalformedMessage(`unknown endianness marker '${endian}'`);
  const reader = new Reader(frame, endian === 'l', 1);
  const type = reader.fixed('y') as number;
  const flags = reader.fixed('y') as number;
  const version = reader.fixed('y') as number;
  if (version !== PROTOCOL_VERSION) throw new MalformedMessage(`protocol version ${version}`);
  const bodyLength = reader.fixed('u') as number;
  const serial = reader.fixed('u') as number;
  const fields = reader.value('a(yv)') as [number, DBusVariant][];
  reader.skipTo(8);
  const bodyStart = reader.offset;
  if (!isMessageType(type)) return null;

  const header = new Map(fields.map(([code, variant]) => [code, variant.value]));
  const text = (code: number): string | undefined => {
    const value = header.get(code);
    return typeof value === 'string' ? value : undefined;
  };
  const replySerial = header.get(HeaderField.replySerial);
  const signature = text(HeaderField.signature) ?? '';
  return {
    type,
    flags,
    serial,
    path: text(HeaderField.path),
    interface: text(HeaderField.interface),
    member: text(HeaderField.member),
    errorName: text(HeaderField.errorName),
    replySerial: typeof replySerial === 'number' ? replySerial : undefined,
    destination: text(HeaderField.destination),
    sender: text(HeaderField.sender),
    signature,
    body: decodeBody(frame.subarray(bodyStart, bodyStart + bodyLength), signature, endian === 'l'),
  };
}

/** Length of the first complete message in `data`, or null when more bytes are needed. */
function frameLength(data: Buffer): number | null {
  if (data.length < FIXED_HEADER_BYTES) return null;
  const le = data[0] === 'l'.charCodeAt(0);
  const bodyLength = le ? data.readUInt32LE(4) : data.readUInt32BE(4);
  const fieldsLength = le ? data.readUInt32LE(12) : data.readUInt32BE(12);
  const total = align(FIXED_HEADER_BYTES + fieldsLength, 8) + bodyLength;
  if (total > MAX_MESSAGE_BYTES) throw new MalformedMessage(`message of ${total} bytes exceeds the protocol limit`);
  return data.length >= total ? total : null;
}

/** Splits a received byte stream into complete messages; `rest` holds the bytes of an unfinished one. */
export function parseMessages(data: Buffer): Result<{ messages: DBusMessage[]; rest: Buffer }, WireError> {
  try {
    const messages: DBusMessage[] = [];
    let remaining = data;
    for (let length = frameLength(remaining); length !== null; length = frameLength(remaining)) {
      const message = decodeMessage(remaining.subarray(0, length));
      if (message !== null) messages.push(message);
      remaining = remaining.subarray(length);
    }
    return ok({ messages, rest: remaining });
  } catch (cause) {
    return err(protocolError(cause));
  }
}
