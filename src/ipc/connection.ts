import type { Socket } from 'node:net';
import type { Result } from 'neverthrow';
import type { z } from 'zod';
import { redact } from '../lib/redact.js';
import type { SharedBudget } from './budget.js';
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
  readonly budget: SharedBudget;
}

export interface Connection {
  /** Ends every subscription and closes the socket; `error` tells the client why. */
  shutdown(error: IpcError): void;
  /** Bytes written to the client and not yet read by it. */
  buffered(): number;
  /** Starts the waiting requests the budgets allow now. */
  pump(): void;
  /** Closes the connection at once, and logs why. */
  drop(reason: string): void;
}

interface ActiveSubscription {
  unsubscribe: Unsubscribe | undefined;
  ended: boolean;
}

export function serveConnection(socket: Socket, options: ConnectionOptions): Connection {
  const { budget } = options;
  const { limits } = budget;
  const decoder = createFrameDecoder(options.maxRequestFrameBytes);
  const subscriptions = new Map<RequestId, ActiveSubscription>();
  // Frames decoded and not yet handled: they wait while the client's earlier answers are unread.
  const waiting: DecodedFrame[] = [];
  let inFlight = 0;
  let greeted = false;
  const handshakeTimer = setTimeout(() => socket.destroy(), options.handshakeTimeoutMs);
  let frameTimer: NodeJS.Timeout | undefined;

  const drop = (reason: string): void => {
    if (socket.destroyed) return;
    options.log(`ipc: dropping a client: ${reason}`);
    socket.destroy();
  };

  const send = (frame: DaemonFrame | DaemonHello): void => {
    if (socket.destroyed || !socket.writable) return;
    let line = encodeFrame(withRedactedError(frame));
    let bytes = Buffer.byteLength(line);
    if (frame.t === 'res' && frame.ok && bytes > options.maxResponseFrameBytes) {
      line = encodeFrame(failure(frame.id, {
        code: 'FRAME_TOO_LARGE',
        message: `the result is larger than ${options.maxResponseFrameBytes} bytes: ask for less (for example a smaller limit)`,
      }));
      bytes = Buffer.byteLength(line);
    }
    if (socket.writableLength + bytes > limits.dropAboveBytes) {
      drop(`it sends requests and does not read the replies (${socket.writableLength} bytes unread)`);
      return;
    }
    socket.write(line);
    if (socket.writableLength > limits.pauseAboveBytes && budget.bufferedBytes() > limits.globalDropAboveBytes) budget.enforceCeiling();
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
    inFlight++;
    budget.inFlight++;
    Promise.resolve()
      .then(() => handler(parsed.data))
      .then((result) => {
        if (!isResult(result)) throw new Error(`handler for '${method}' did not return a Result`);
        send(result.isOk() ? { t: 'res', id, ok: true, result: result.value } : failure(id, result.error));
      })
      .catch((e: unknown) => {
        options.log(`ipc: handler for '${method}' threw: ${describe(e)}`);
        send(failure(id, internalError(method)));
      })
      .finally(() => {
        inFlight--;
        budget.inFlight--;
        budget.wake();
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
    clearTimeout(frameTimer);
    for (const sub of [...subscriptions.keys()]) endSubscription(sub, error, error !== undefined);
  };

  const canStart = (): boolean =>
    socket.writableLength <= limits.pauseAboveBytes &&
    inFlight < limits.maxInFlightPerConnection &&
    budget.inFlight < limits.maxInFlight;

  // A frame that has begun must end in time, counted only while the daemon is reading this client.
  const watchFrame = (progressed: boolean): void => {
    if (progressed || socket.isPaused() || !decoder.inFrame()) {
      clearTimeout(frameTimer);
      frameTimer = undefined;
    }
    if (!socket.isPaused() && decoder.inFrame()) {
      frameTimer ??= setTimeout(() => drop(`a request frame did not end within ${limits.frameTimeoutMs} ms`), limits.frameTimeoutMs);
    }
  };

  const pump = (): void => {
    while (waiting.length > 0 && !socket.destroyed && canStart()) handleFrame(waiting.shift()!);
    if (socket.destroyed) return;
    // Not reading is the back-pressure: the client's next requests wait in its own socket buffer.
    if (waiting.length > 0 || socket.writableLength > limits.pauseAboveBytes) socket.pause();
    else if (socket.isPaused()) socket.resume();
    watchFrame(false);
  };

  socket.on('data', (chunk: Buffer) => {
    const frames = decoder.push(chunk);
    for (const frame of frames) waiting.push(frame);
    watchFrame(frames.length > 0);
    pump();
  });
  socket.on('end', () => {
    for (const frame of decoder.end()) waiting.push(frame);
    pump();
  });
  // The client read: it, or a client waiting for the global budget, may go on.
  socket.on('drain', () => budget.wake());
  // EPIPE/ECONNRESET from a client that left: the 'close' below cleans up.
  socket.on('error', (e) => options.log(`ipc: connection error: ${describe(e)}`));
  socket.on('close', () => {
    waiting.length = 0;
    shutdownAll(undefined);
  });

  return {
    shutdown(error) {
      shutdownAll(error);
      socket.end();
    },
    buffered: () => (socket.destroyed ? 0 : socket.writableLength),
    pump,
    drop,
  };
}

/** Error messages quote references, paths and server answers: credentials are masked on the way out. */
function withRedactedError<F extends DaemonFrame | DaemonHello>(frame: F): F {
  const error = (frame as { error?: IpcError }).error;
  return error === undefined ? frame : { ...frame, error: { ...error, message: redact(error.message) } };
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
