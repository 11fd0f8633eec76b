import { connect } from 'node:net';
import { err, ok, type Result } from 'neverthrow';
import { createFrameDecoder, encodeFrame, MAX_RESPONSE_FRAME_BYTES } from './framing.js';
import {
  DaemonFrameSchema,
  DaemonHelloSchema,
  ErrorFrameSchema,
  METHODS,
  PROTOCOL_VERSION,
  RequestIdSchema,
  SUBSCRIBE_METHOD,
  UNSUBSCRIBE_METHOD,
  protocolMismatchError,
  type DaemonFrame,
  type IpcError,
  type MethodName,
  type ParamsOf,
  type RequestId,
  type ResultOf,
  type SubscribeParams,
  type SubscriptionFrame,
} from './protocol.js';
import { checkSocketPathLength, errnoCode } from './unix-path.js';

/**
 * The CLI's and the desktop gateway's side of the socket. Kept light (no rxjs, no storage) because
 * every CLI command pays for loading it.
 */

export interface ConnectOptions {
  /** Budget for connecting and the handshake. Default 2 s. */
  readonly timeoutMs?: number;
  /** Announced in the handshake, for the daemon's log. */
  readonly client?: string;
}

/** Methods whose params are all optional may be called without them. */
type ParamsArg<M extends MethodName> = Record<string, never> extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

export interface IpcSubscription {
  /** Stops delivery and tells the daemon; no `end` frame follows. */
  close(): void;
}

export interface IpcClient {
  readonly daemonVersion: string;
  request<M extends MethodName>(method: M, ...params: ParamsArg<M>): Promise<Result<ResultOf<M>, IpcError>>;
  /**
   * Frames arrive in order; the last is `{t:'end'}`, carrying an error when the daemon refused the
   * subscription, cut it off, or the connection dropped.
   */
  subscribe(params: SubscribeParams, onFrame: (frame: SubscriptionFrame) => void): IpcSubscription;
  close(): Promise<void>;
}

type Outcome = Result<unknown, IpcError>;

export function daemonUnreachable(socketPath: string): IpcError {
  return {
    code: 'DAEMON_UNREACHABLE',
    message: `comfyui-dl daemon is not running at ${socketPath}: start it with \`comfyui-dl daemon\` or \`systemctl --user start comfyui-dl\``,
  };
}

function connectFailure(socketPath: string, code: string): IpcError {
  if (code === 'ENOENT' || code === 'ECONNREFUSED') return daemonUnreachable(socketPath);
  const why = code === 'EACCES' ? 'permission denied (is it another user\'s daemon?)' : code;
  return { code: 'DAEMON_UNREACHABLE', message: `cannot reach the comfyui-dl daemon at ${socketPath}: ${why}` };
}

export function connectIpc(socketPath: string, options: ConnectOptions = {}): Promise<Result<IpcClient, IpcError>> {
  const tooLong = checkSocketPathLength(socketPath);
  if (tooLong.isErr()) return Promise.resolve(err({ code: 'DAEMON_UNREACHABLE', message: tooLong.error.message }));
  const timeoutMs = options.timeoutMs ?? 2000;

  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const decoder = createFrameDecoder(MAX_RESPONSE_FRAME_BYTES);
    const pending = new Map<RequestId, (outcome: Outcome) => void>();
    const subscriptions = new Map<RequestId, (frame: SubscriptionFrame) => void>();
    let nextId = 1;
    let handshakeDone = false;
    let closedByUs = false;
    let lastError: IpcError | undefined;
    let closedWith: IpcError | undefined;

    const failHandshake = (error: IpcError): void => {
      if (handshakeDone) return;
      handshakeDone = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(err(error));
    };
    const timer = setTimeout(
      () => failHandshake({
        code: 'DAEMON_UNREACHABLE',
        message: `the comfyui-dl daemon at ${socketPath} did not answer within ${timeoutMs} ms: check it with \`systemctl --user status comfyui-dl\``,
      }),
      timeoutMs,
    );

    const send = (method: string, params: unknown, onOutcome: (outcome: Outcome) => void): RequestId => {
      const id = nextId++;
      pending.set(id, onOutcome);
      socket.write(encodeFrame({ t: 'req', id, method, params }));
      return id;
    };

    const request = <M extends MethodName>(method: M, params: unknown): Promise<Result<ResultOf<M>, IpcError>> => {
      if (closedWith !== undefined) return Promise.resolve(err(closedWith));
      return new Promise((settle) => {
        send(method, params ?? {}, (outcome) => {
          if (outcome.isErr()) return settle(err(outcome.error));
          const parsed = METHODS[method].result.safeParse(outcome.value);
          settle(parsed.success
            ? ok(parsed.data as ResultOf<M>)
            : err({ code: 'BAD_RESPONSE', message: `the daemon's answer to '${method}' is not what this client expects: are the CLI and the daemon the same version?` }));
        });
      });
    };

    const subscribe = (params: SubscribeParams, onFrame: (frame: SubscriptionFrame) => void): IpcSubscription => {
      if (closedWith !== undefined) {
        const error = closedWith;
        const sub = nextId++;
        queueMicrotask(() => onFrame({ t: 'end', sub, error }));
        return { close: () => undefined };
      }
      const sub = send(SUBSCRIBE_METHOD, params, (outcome) => {
        if (outcome.isErr() && subscriptions.delete(sub)) onFrame({ t: 'end', sub, error: outcome.error });
      });
      subscriptions.set(sub, onFrame);
      return {
        close() {
          if (subscriptions.delete(sub) && closedWith === undefined) send(UNSUBSCRIBE_METHOD, { sub }, () => undefined);
        },
      };
    };

    const close = (): Promise<void> => {
      closedByUs = true;
      return new Promise((done) => {
        if (socket.destroyed) return done();
        socket.once('close', () => done());
        socket.end();
        // A daemon that never finishes its side must not keep the CLI alive.
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    };

    const onHello = (value: unknown): void => {
      const hello = DaemonHelloSchema.safeParse(value);
      if (!hello.success) {
        const refusal = ErrorFrameSchema.safeParse(value);
        failHandshake(refusal.success ? refusal.data.error : { code: 'DAEMON_UNREACHABLE', message: `${socketPath} is not a comfyui-dl daemon socket (unexpected handshake)` });
        return;
      }
      if (hello.data.protocol !== PROTOCOL_VERSION) {
        failHandshake(protocolMismatchError(PROTOCOL_VERSION, hello.data.protocol, hello.data.daemon));
        return;
      }
      handshakeDone = true;
      clearTimeout(timer);
      resolve(ok({
        daemonVersion: hello.data.daemon,
        request: (method, ...params) => request(method, params[0]),
        subscribe,
        close,
      }));
    };

    const onFrame = (value: unknown): void => {
      const parsed = DaemonFrameSchema.safeParse(value);
      if (parsed.success) {
        dispatch(parsed.data);
        return;
      }
      // Fail whoever the malformed frame was meant for, rather than dropping it silently.
      const error: IpcError = { code: 'BAD_RESPONSE', message: 'the daemon sent a malformed frame: are the CLI and the daemon the same version?' };
      const { id, sub } = (typeof value === 'object' && value !== null ? value : {}) as { id?: unknown; sub?: unknown };
      const target = RequestIdSchema.safeParse(id ?? sub);
      if (!target.success) return;
      const waiting = pending.get(target.data);
      pending.delete(target.data);
      waiting?.(err(error));
      const listener = subscriptions.get(target.data);
      if (sub !== undefined && subscriptions.delete(target.data)) {
        listener?.({ t: 'end', sub: target.data, error });
        send(UNSUBSCRIBE_METHOD, { sub: target.data }, () => undefined);
      }
    };

    const dispatch = (frame: DaemonFrame): void => {
      switch (frame.t) {
        case 'res': {
          const waiting = pending.get(frame.id);
          pending.delete(frame.id);
          waiting?.(frame.ok ? ok(frame.result) : err(frame.error));
          return;
        }
        case 'error':
          // Not tied to a request: remember it so whatever fails next can say why.
          lastError = frame.error;
          return;
        default: {
          const listener = subscriptions.get(frame.sub);
          if (frame.t === 'end') subscriptions.delete(frame.sub);
          listener?.(frame);
        }
      }
    };

    const onDecoded = (frames: ReturnType<typeof decoder.push>): void => {
      for (const frame of frames) {
        if (frame.isErr()) lastError = frame.error;
        else if (!handshakeDone) onHello(frame.value);
        else onFrame(frame.value);
      }
    };

    socket.once('connect', () => {
      socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, client: options.client ?? 'comfyui-dl' }));
    });
    socket.on('data', (chunk: Buffer) => onDecoded(decoder.push(chunk)));
    socket.on('end', () => onDecoded(decoder.end()));
    socket.on('error', (e) => failHandshake(connectFailure(socketPath, errnoCode(e))));
    socket.on('close', () => {
      failHandshake(lastError ?? { code: 'DAEMON_UNREACHABLE', message: `the comfyui-dl daemon at ${socketPath} closed the connection during the handshake` });
      closedWith = closedByUs
        ? { code: 'CONNECTION_CLOSED', message: 'the connection to the daemon was closed by this client' }
        : (lastError ?? { code: 'CONNECTION_CLOSED', message: 'the daemon closed the connection (it may have stopped or restarted): try again' });
      const error = closedWith;
      for (const waiting of pending.values()) waiting(err(error));
      pending.clear();
      const listeners = [...subscriptions.entries()];
      subscriptions.clear();
      if (!closedByUs) for (const [sub, listener] of listeners) listener({ t: 'end', sub, error });
    });
  });
}
