import type { Socket } from 'node:net';
import type { Result } from 'neverthrow';
import type { z } from 'zod';
import { createFrameDecoder, encodeFrame, type DecodedFrame } from './framing.js';
import {
  ClientHelloSchema,
  METHODS,
  PROTOCOL_VERSION,
  RequestFrameSchema,
  RequestIdSchema,
  SUBSCRIBE_METHOD,
  SubscribeParamsSchema,
  UNSUBSCRIBE_METHOD,
  UnsubscribeParamsSchema,
  isMethodName,
  protocolMismatchError,
  type DaemonFrame,
  type DaemonHello,
  type IpcError,
  type MethodName,
  type RequestFrame,
  type RequestId,
  type ResultOf,
  type SubscribeParams,
  type SubscriptionPayload,
  type ValidParamsOf,
} from './protocol.js';

/** Handlers get validated params and answer with a Result; a throw is a bug, reported as INTERNAL. */
export type MethodHandler<M extends MethodName> = (params: ValidParamsOf<M>) => PromiseLike<Result<ResultOf<M>, IpcError>>;
export type MethodHandlers = { readonly [M in MethodName]: MethodHandler<M> };

/** Returns false once the subscription is gone (ended, cut off, or the client left): stop producing. */
export type Push = (payload: SubscriptionPayload) => boolean;
/** Called exactly once per subscription, however it ends. */
export type Unsubscribe = () => void;
export type SubscribeHandler = (params: SubscribeParams, push: Push) => Unsubscribe;

export interface ConnectionOptions {
  readonly version: string;
  readonly methods: MethodHandlers;
  readonly subscribe: SubscribeHandler;
  readonly maxRequestFrameBytes: number;
  readonly maxResponseFrameBytes: number;
  readonly maxSubscriptionBufferBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly log: (message: string) => void;
}

export interface Connection {
  /** Ends every subscription and closes the socket; `error` tells the client why. */
  shutdown(error: IpcError): void;
}

interface ActiveSubscription {
  unsubscribe: Unsubscribe | undefined;
  ended: boolean;
}

export function serveConnection(socket: Socket, options: ConnectionOptions): Connection {
  const decoder = createFrameDecoder(options.maxRequestFrameBytes);
  const subscriptions = new Map<RequestId, ActiveSubscription>();
  let greeted = false;
  const handshakeTimer = setTimeout(() => socket.destroy(), options.handshakeTimeoutMs);

  const send = (frame: DaemonFrame | DaemonHello): void => {
    if (socket.destroyed || !socket.writable) return;
    let line = encodeFrame(frame);
    if (frame.t === 'res' && frame.ok && Buffer.byteLength(line) > options.maxResponseFrameBytes) {
      line = encodeFrame(failure(frame.id, {
        code: 'FRAME_TOO_LARGE',
        message: `the result is larger than ${options.maxResponseFrameBytes} bytes: ask for less (for example a smaller limit)`,
      }));
    }
    socket.write(line);
  };

  const endSubscription = (sub: RequestId, error: IpcError | undefined, notify: boolean): void => {
    const entry = subscriptions.get(sub);
    if (entry === undefined || entry.ended) return;
    entry.ended = true;
    subscriptions.delete(sub);
    if (notify) send(error === undefined ? { t: 'end', sub } : { t: 'end', sub, error });
    // When the producer ends during its own subscribe call, unsubscribe is not known yet: startSubscription calls it.
    entry.unsubscribe?.();
  };

  const startSubscription = (id: RequestId, params: SubscribeParams): void => {
    const entry: ActiveSubscription = { unsubscribe: undefined, ended: false };
    subscriptions.set(id, entry);
    send({ t: 'res', id, ok: true, result: { sub: id } });
    const push: Push = (payload) => {
      if (entry.ended) return false;
      if (payload.t === 'end') {
        endSubscription(id, payload.error, true);
        return false;
      }
      // A reader that does not keep up must not make the daemon buffer without bound.
      if (socket.writableLength > options.maxSubscriptionBufferBytes) {
        endSubscription(id, {
          code: 'SUBSCRIBER_TOO_SLOW',
          message: `the client read too slowly (over ${options.maxSubscriptionBufferBytes} bytes waiting): subscribe again from the last position received`,
        }, true);
        return false;
      }
      send({ ...payload, sub: id });
      return true;
    };
    try {
      const unsubscribe = options.subscribe(params, push);
      if (entry.ended) unsubscribe();
      else entry.unsubscribe = unsubscribe;
    } catch (e) {
      options.log(`ipc: ${SUBSCRIBE_METHOD} threw: ${describe(e)}`);
      endSubscription(id, internalError(SUBSCRIBE_METHOD), true);
    }
  };

  const callMethod = (id: RequestId, method: MethodName, params: unknown): void => {
    const parsed = METHODS[method].params.safeParse(params ?? {});
    if (!parsed.success) {
      send(badParams(id, method, parsed.error));
      return;
    }
    // The table and the handlers are keyed alike; TypeScript cannot correlate the two through `method`.
    const handler = options.methods[method] as (params: unknown) => PromiseLike<Result<unknown, IpcError>>;
    Promise.resolve()
      .then(() => handler(parsed.data))
      .then((result) => {
        if (!isResult(result)) throw new Error(`handler for '${method}' did not return a Result`);
        send(result.isOk() ? { t: 'res', id, ok: true, result: result.value } : failure(id, result.error));
      })
      .catch((e: unknown) => {
        options.log(`ipc: handler for '${method}' threw: ${describe(e)}`);
        send(failure(id, internalError(method)));
      });
  };

  const handleRequest = (frame: RequestFrame): void => {
    const { id, method, params } = frame;
    if (method === SUBSCRIBE_METHOD) {
      const parsed = SubscribeParamsSchema.safeParse(params ?? {});
      if (!parsed.success) send(badParams(id, method, parsed.error));
      else if (subscriptions.has(id)) send(failure(id, { code: 'CONFLICT', message: `subscription ${id} is already active: use a new request id` }));
      else startSubscription(id, parsed.data);
    } else if (method === UNSUBSCRIBE_METHOD) {
      const parsed = UnsubscribeParamsSchema.safeParse(params ?? {});
      if (!parsed.success) send(badParams(id, method, parsed.error));
      else {
        endSubscription(parsed.data.sub, undefined, false);
        send({ t: 'res', id, ok: true, result: {} });
      }
    } else if (isMethodName(method)) {
      callMethod(id, method, params);
    } else {
      const known = [...Object.keys(METHODS), SUBSCRIBE_METHOD, UNSUBSCRIBE_METHOD].join(', ');
      send(failure(id, { code: 'UNKNOWN_METHOD', message: `unknown method '${method}'; known methods: ${known}` }));
    }
  };

  const handleHello = (value: unknown): void => {
    const hello = ClientHelloSchema.safeParse(value);
    if (!hello.success) {
      send({ t: 'error', error: { code: 'HANDSHAKE_REQUIRED', message: `the first frame must be {"t":"hello","protocol":${PROTOCOL_VERSION},"client":"<name>"}` } });
      socket.end();
      return;
    }
    clearTimeout(handshakeTimer);
    send({ t: 'hello', protocol: PROTOCOL_VERSION, daemon: options.version });
    if (hello.data.protocol !== PROTOCOL_VERSION) {
      send({ t: 'error', error: protocolMismatchError(hello.data.protocol, PROTOCOL_VERSION, options.version) });
      socket.end();
      return;
    }
    greeted = true;
  };

  const handleFrame = (decoded: DecodedFrame): void => {
    if (decoded.isErr()) {
      send({ t: 'error', error: decoded.error });
      return;
    }
    if (!greeted) {
      handleHello(decoded.value);
      return;
    }
    const request = RequestFrameSchema.safeParse(decoded.value);
    if (request.success) {
      handleRequest(request.data);
      return;
    }
    const error: IpcError = { code: 'BAD_FRAME', message: `expected {"t":"req","id":…,"method":…,"params":{…}}: ${describeIssues(request.error)}` };
    // Answer by id when there is one, so the caller waiting on it is not left hanging.
    const id = RequestIdSchema.safeParse((decoded.value as { id?: unknown } | null)?.id);
    send(id.success ? failure(id.data, error) : { t: 'error', error });
  };

  const shutdownAll = (error: IpcError | undefined): void => {
    clearTimeout(handshakeTimer);
    for (const sub of [...subscriptions.keys()]) endSubscription(sub, error, error !== undefined);
  };

  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (socket.destroyed) return;
      handleFrame(frame);
    }
  });
  socket.on('end', () => {
    for (const frame of decoder.end()) handleFrame(frame);
  });
  // EPIPE/ECONNRESET from a client that left: the 'close' below cleans up.
  socket.on('error', (e) => options.log(`ipc: connection error: ${describe(e)}`));
  socket.on('close', () => shutdownAll(undefined));

  return {
    shutdown(error) {
      shutdownAll(error);
      socket.end();
    },
  };
}

function failure(id: RequestId, error: IpcError): DaemonFrame {
  return { t: 'res', id, ok: false, error };
}

function badParams(id: RequestId, method: string, error: z.ZodError): DaemonFrame {
  return failure(id, { code: 'BAD_PARAMS', message: `bad params for '${method}': ${describeIssues(error)}` });
}

function internalError(method: string): IpcError {
  return { code: 'INTERNAL', message: `the daemon hit an internal error in '${method}': see the daemon log (journalctl --user -u comfyui-dl)` };
}

function isResult(value: unknown): value is Result<unknown, IpcError> {
  return typeof value === 'object' && value !== null && typeof (value as { isOk?: unknown }).isOk === 'function';
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(value)'}: ${issue.message}`)
    .join('; ');
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
