// A D-Bus connection over a Unix socket: SASL EXTERNAL authentication, the bus Hello, method calls matched to
// their replies by serial, and a stream of the other messages the bus delivers to us.
import { createConnection, type Socket } from 'node:net';
import { err, ok, type Result } from 'neverthrow';
import { describeSocketPath, parseBusAddress, type SocketPath } from './dbus-address.js';
import {
  MessageFlag, MessageType, marshalMessage, parseMessages,
  type DBusMessage, type DBusValue,
} from './dbus-wire.js';

export interface BusConnectError {
  readonly code: 'NO_SESSION_BUS';
  readonly message: string;
}

export type BusCallError =
  | { readonly code: 'DBUS_ERROR_REPLY'; readonly errorName: string; readonly message: string }
  | { readonly code: 'DBUS_TIMEOUT'; readonly message: string }
  /** The connection dropped while the call was in flight: it may or may not have been carried out. */
  | { readonly code: 'DBUS_DISCONNECTED'; readonly message: string }
  /** The connection was already closed: nothing was sent. */
  | { readonly code: 'DBUS_NOT_CONNECTED'; readonly message: string };

export interface MethodCall {
  readonly destination: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly signature: string;
  readonly body: readonly DBusValue[];
}

export interface BusConnection {
  /** The name the bus assigned us, such as ":1.42". */
  readonly uniqueName: string;
  call(call: MethodCall, timeoutMs: number): Promise<Result<DBusMessage, BusCallError>>;
  /** Answers a method call that arrived through `onMessage`. */
  reply(to: DBusMessage, signature: string, body: readonly DBusValue[]): void;
  replyError(to: DBusMessage, errorName: string, text: string): void;
  /** Method calls and signals addressed to us (replies go to `call`). */
  onMessage(handler: (message: DBusMessage) => void): void;
  /** Runs once the connection is closed, at once if it already is. */
  onClose(handler: () => void): void;
  close(): void;
}

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };

interface PendingCall {
  readonly resolve: (result: Result<DBusMessage, BusCallError>) => void;
  readonly timer: NodeJS.Timeout;
}

class SocketBusConnection implements BusConnection {
  uniqueName = '';
  private nextSerial = 1;
  private received: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, PendingCall>();
  private readonly messageHandlers: ((message: DBusMessage) => void)[] = [];
  private readonly closeHandlers: (() => void)[] = [];

  constructor(private readonly socket: Socket, leftover: Buffer) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closed());
    // An idle connection must not keep the process alive; a call in flight must.
    socket.unref();
    if (leftover.length > 0) this.receive(leftover);
    socket.resume();
  }

  private get isOpen(): boolean {
    return !this.socket.destroyed;
  }

  call(call: MethodCall, timeoutMs: number): Promise<Result<DBusMessage, BusCallError>> {
    if (!this.isOpen) {
      return Promise.resolve(err({ code: 'DBUS_NOT_CONNECTED', message: 'the D-Bus connection is closed' }));
    }
    const serial = this.send({ type: MessageType.MethodCall, flags: 0, ...call });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(serial, err({
          code: 'DBUS_TIMEOUT',
          message: `${call.destination} did not answer ${call.member} within ${timeoutMs} ms`,
        }));
      }, timeoutMs);
      this.pending.set(serial, { resolve, timer });
      this.socket.ref();
    });
  }

  reply(to: DBusMessage, signature: string, body: readonly DBusValue[]): void {
    this.send({
      type: MessageType.MethodReturn, flags: MessageFlag.NoReplyExpected, replySerial: to.serial,
      destination: to.sender, signature, body,
    });
  }

  replyError(to: DBusMessage, errorName: string, text: string): void {
    this.send({
      type: MessageType.Error, flags: MessageFlag.NoReplyExpected, replySerial: to.serial,
      destination: to.sender, errorName, signature: 's', body: [text],
    });
  }

  onMessage(handler: (message: DBusMessage) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: () => void): void {
    if (this.isOpen) this.closeHandlers.push(handler);
    else handler();
  }

  close(): void {
    this.socket.destroy();
  }

  private send(message: Omit<DBusMessage, 'serial' | 'sender'>): number {
    const serial = this.nextSerial;
    this.nextSerial = serial === 0xffffffff ? 1 : serial + 1;
    if (this.isOpen) this.socket.write(marshalMessage({ ...message, serial }));
    return serial;
  }

  private settle(serial: number, result: Result<DBusMessage, BusCallError>): void {
    const call = this.pending.get(serial);
    if (call === undefined) return;
    clearTimeout(call.timer);
    this.pending.delete(serial);
    if (this.pending.size === 0) this.socket.unref();
    call.resolve(result);
  }

  private receive(chunk: Buffer): void {
    const parsed = parseMessages(this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]));
    if (parsed.isErr()) {
      // The stream cannot be resynchronised after a framing error.
      this.socket.destroy();
      return;
    }
    this.received = Buffer.from(parsed.value.rest);
    for (const message of parsed.value.messages) this.dispatch(message);
  }

  private dispatch(message: DBusMessage): void {
    const isReply = message.type === MessageType.MethodReturn || message.type === MessageType.Error;
    if (isReply && message.replySerial !== undefined) {
      if (message.type === MessageType.MethodReturn) return this.settle(message.replySerial, ok(message));
      const first = message.body[0];
      return this.settle(message.replySerial, err({
        code: 'DBUS_ERROR_REPLY',
        errorName: message.errorName ?? '',
        message: `${message.errorName ?? 'D-Bus error'}: ${typeof first === 'string' ? first : 'no message'}`,
      }));
    }
    for (const handler of this.messageHandlers) handler(message);
  }

  private closed(): void {
    for (const serial of [...this.pending.keys()]) {
      this.settle(serial, err({ code: 'DBUS_DISCONNECTED', message: 'the D-Bus connection closed before the reply' }));
    }
    for (const handler of this.closeHandlers) handler();
  }
}

/** The EXTERNAL mechanism proves who we are by the socket's peer credentials; the uid is sent hex-encoded. */
function authenticate(socket: Socket, uid: number): Promise<Result<Buffer, string>> {
  return new Promise((resolve) => {
    let text = Buffer.alloc(0);
    const onClose = (): void => resolve(err('the bus closed the connection during authentication'));
    const onData = (chunk: Buffer): void => {
      text = Buffer.concat([text, chunk]);
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      // Hold further bytes until the connection object listens for messages.
      socket.pause();
      const line = text.subarray(0, end).toString('latin1');
      if (line.startsWith('OK ')) {
        socket.write('BEGIN\r\n');
        resolve(ok(text.subarray(end + 2)));
      } else {
        resolve(err(`the bus refused EXTERNAL authentication for uid ${uid} (${line})`));
      }
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(uid)).toString('hex')}\r\n`);
  });
}

function openSocket(socket: Socket): Promise<Result<Socket, string>> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => resolve(err(error.code ?? error.message));
    const onClose = (): void => resolve(err('closed'));
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.on('error', () => socket.destroy());
      resolve(ok(socket));
    });
  });
}

async function handshake(socket: Socket, where: string, uid: number, timeoutMs: number): Promise<Result<BusConnection, string>> {
  const opened = await openSocket(socket);
  if (opened.isErr()) return err(`cannot connect to ${where} (${opened.error})`);
  const authenticated = await authenticate(socket, uid);
  if (authenticated.isErr()) {
    socket.destroy();
    return err(`${authenticated.error} at ${where}`);
  }
  const connection = new SocketBusConnection(socket, authenticated.value);
  const hello = await connection.call({ ...BUS, member: 'Hello', signature: '', body: [] }, timeoutMs);
  const name = hello.isOk() ? hello.value.body[0] : undefined;
  if (typeof name !== 'string') {
    connection.close();
    return err(`the bus at ${where} did not accept Hello (${hello.isErr() ? hello.error.message : 'no name'})`);
  }
  connection.uniqueName = name;
  return ok(connection);
}

async function connectToSocket(path: SocketPath, uid: number, timeoutMs: number): Promise<Result<BusConnection, string>> {
  const where = describeSocketPath(path);
  const socket = createConnection({ path });
  let timedOut = false;
  // One deadline covers connect, authentication and Hello, so a bus that accepts but never answers cannot hang us.
  const deadline = setTimeout(() => {
    timedOut = true;
    socket.destroy();
  }, timeoutMs);
  const result = await handshake(socket, where, uid, timeoutMs);
  clearTimeout(deadline);
  return result.isErr() && timedOut ? err(`${where} did not complete the D-Bus handshake within ${timeoutMs} ms`) : result;
}

/**
 * Connects to the bus at `address`, trying each socket it lists. Every failure (no address, socket missing,
 * connection refused, authentication refused, silence past `timeoutMs`) is NO_SESSION_BUS.
 */
export async function connectToBus(
  address: string | undefined,
  timeoutMs: number,
): Promise<Result<BusConnection, BusConnectError>> {
  const paths = parseBusAddress(address);
  if (paths.isErr()) return err(paths.error);
  const uid = process.getuid?.();
  if (uid === undefined) {
    return err({ code: 'NO_SESSION_BUS', message: 'D-Bus EXTERNAL authentication needs a Unix user id' });
  }
  const failures: string[] = [];
  for (const path of paths.value) {
    const connected = await connectToSocket(path, uid, timeoutMs);
    if (connected.isOk()) return ok(connected.value);
    failures.push(connected.error);
  }
  return err({ code: 'NO_SESSION_BUS', message: `no D-Bus session bus: ${failures.join('; ')}; desktop notifications are off` });
}
