import { err, type Result } from 'neverthrow';
import { connectIpc, type IpcClient, type IpcSubscription } from '../ipc/client.js';
import type { IpcError, MethodName, ResultOf, SubscribeParams, SubscriptionFrame } from '../ipc/protocol.js';

/**
 * The gateway's one connection to the daemon, shared by every browser request and event stream. It is opened on
 * first use and opened again after the daemon restarts, so the app keeps working across restarts without the
 * user relaunching `comfyui-dl ui`.
 */
export interface DaemonLink {
  /** Params go to the daemon as the page sent them: the daemon validates them against its method table. */
  request<M extends MethodName>(method: M, params: unknown): Promise<Result<ResultOf<M>, IpcError>>;
  /** Frames end with `{t:'end'}`, with an error when the daemon is unreachable or goes away. */
  subscribe(params: SubscribeParams, onFrame: (frame: SubscriptionFrame) => void): IpcSubscription;
  close(): Promise<void>;
}

/** Errors that mean the connection, not the request, is the problem. */
const CONNECTION_LOST = new Set<string>(['CONNECTION_CLOSED', 'SHUTTING_DOWN']);

export function createDaemonLink(socketPath: string, options: { timeoutMs?: number } = {}): DaemonLink {
  let current: Promise<Result<IpcClient, IpcError>> | undefined;
  let closed = false;

  const connection = (): Promise<Result<IpcClient, IpcError>> => {
    if (closed) return Promise.resolve(err({ code: 'CONNECTION_CLOSED', message: 'the desktop gateway is shutting down' }));
    const attempt = (current ??= connectIpc(socketPath, { client: 'comfyui-dl-gateway', timeoutMs: options.timeoutMs }).then((r) => {
      // A failed connect is not cached: the next request tries again (the daemon may be starting).
      if (r.isErr() && current === attempt) current = undefined;
      return r;
    }));
    return attempt;
  };

  /** Forgets a connection that went away, so the next caller opens a new one. */
  const forget = async (client: IpcClient): Promise<void> => {
    const cached = await current;
    if (cached?.isOk() && cached.value === client) current = undefined;
    await client.close();
  };

  const request = async <M extends MethodName>(method: M, params: unknown, retried = false): Promise<Result<ResultOf<M>, IpcError>> => {
    const connected = await connection();
    if (connected.isErr()) return err(connected.error);
    const client = connected.value;
    // The page's params are forwarded untyped: the daemon is the one that validates them.
    const call = client.request as (m: M, p: unknown) => Promise<Result<ResultOf<M>, IpcError>>;
    const answer = await call(method, params ?? {});
    if (answer.isErr() && CONNECTION_LOST.has(answer.error.code)) {
      await forget(client);
      // Once, on a fresh connection: the usual cause is a daemon restarted while the app sat idle. Every method
      // is safe to repeat (`add` finds the job the first attempt may have created).
      if (!retried) return request(method, params, true);
    }
    return answer;
  };

  const subscribe = (params: SubscribeParams, onFrame: (frame: SubscriptionFrame) => void): IpcSubscription => {
    let inner: IpcSubscription | undefined;
    let cancelled = false;
    void connection().then((connected) => {
      if (cancelled) return;
      if (connected.isErr()) return onFrame({ t: 'end', sub: 0, error: connected.error });
      const client = connected.value;
      inner = client.subscribe(params, (frame) => {
        if (frame.t === 'end' && frame.error && CONNECTION_LOST.has(frame.error.code)) void forget(client);
        onFrame(frame);
      });
    });
    return {
      close() {
        cancelled = true;
        inner?.close();
      },
    };
  };

  return {
    request: (method, params) => request(method, params),
    subscribe,
    async close() {
      closed = true;
      const cached = await current;
      current = undefined;
      if (cached?.isOk()) await cached.value.close();
    },
  };
}
