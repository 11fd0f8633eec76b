import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { DEFAULT_IPC_LIMITS, type IpcLimits, type IpcStats, type SharedBudget } from './budget.js';
import { serveConnection, type Connection, type MethodHandlers, type SubscribeHandler } from './connection.js';
import { encodeFrame, MAX_REQUEST_FRAME_BYTES, MAX_RESPONSE_FRAME_BYTES } from './framing.js';
import { claimSocketPath, prepareSocketDir, type SocketSetupError } from './socket-path.js';
import { checkSocketPathLength } from './unix-path.js';

export type { MethodHandler, MethodHandlers, Push, SubscribeHandler, Unsubscribe } from './connection.js';
export type { SocketSetupError } from './socket-path.js';
export type { IpcLimits, IpcStats } from './budget.js';

export interface IpcServerOptions {
  readonly socketPath: string;
  readonly methods: MethodHandlers;
  readonly subscribe: SubscribeHandler;
  /** The daemon's version, announced in the handshake. */
  readonly version: string;
  /** Where connection-level problems go (the daemon logs to stderr). */
  readonly log?: (message: string) => void;
  /** Output a connection may have waiting before its subscriptions are cut off. Default 8 MiB. */
  readonly maxSubscriptionBufferBytes?: number;
  readonly maxRequestFrameBytes?: number;
  readonly maxResponseFrameBytes?: number;
  /** A client that connects but never says hello is dropped after this. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** How long `close()` lets clients read their last frames before cutting them. Default 1 s. */
  readonly closeGraceMs?: number;
  /** Memory budgets per client and over all clients (see budget.ts); defaults for the rest. */
  readonly limits?: Partial<IpcLimits>;
}

export interface IpcServer {
  readonly socketPath: string;
  /** The socket's load right now. */
  stats(): IpcStats;
  /** Stops accepting, ends every connection (subscriptions get an `end` frame), unlinks the socket. */
  close(): Promise<void>;
}

export async function startIpcServer(options: IpcServerOptions): Promise<Result<IpcServer, SocketSetupError>> {
  const { socketPath } = options;
  const length = checkSocketPathLength(socketPath);
  if (length.isErr()) return err(length.error);
  const dir = await prepareSocketDir(dirname(socketPath));
  if (dir.isErr()) return err(dir.error);

  const limits: IpcLimits = { ...DEFAULT_IPC_LIMITS, ...options.limits };
  const connections = new Map<Connection, Socket>();
  const log = options.log ?? (() => undefined);
  const budget: SharedBudget = {
    limits,
    inFlight: 0,
    bufferedBytes: () => {
      let total = 0;
      for (const connection of connections.keys()) total += connection.buffered();
      return total;
    },
    wake: () => {
      for (const connection of connections.keys()) connection.pump();
    },
    enforceCeiling: () => {
      let worst: Connection | undefined;
      for (const connection of connections.keys()) if (worst === undefined || connection.buffered() > worst.buffered()) worst = connection;
      worst?.drop(`all clients together leave over ${limits.globalDropAboveBytes} bytes of replies unread; this one the most (${worst.buffered()})`);
    },
  };
  const connectionOptions = {
    budget,
    version: options.version,
    methods: options.methods,
    subscribe: options.subscribe,
    log,
    maxSubscriptionBufferBytes: options.maxSubscriptionBufferBytes ?? 8 * 1024 * 1024,
    maxRequestFrameBytes: options.maxRequestFrameBytes ?? MAX_REQUEST_FRAME_BYTES,
    maxResponseFrameBytes: options.maxResponseFrameBytes ?? MAX_RESPONSE_FRAME_BYTES,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
  };
  let refusedLogged = false;
  const server = createServer((socket) => {
    if (connections.size >= limits.maxConnections) {
      if (!refusedLogged) log(`ipc: refusing connections over the limit of ${limits.maxConnections}`);
      refusedLogged = true;
      socket.on('error', () => undefined);
      socket.end(encodeFrame({ t: 'error', error: { code: 'TOO_MANY_CONNECTIONS', message: `the daemon already serves ${limits.maxConnections} connections: close some clients and try again` } }));
      socket.destroySoon();
      return;
    }
    refusedLogged = false;
    const connection = serveConnection(socket, connectionOptions);
    connections.set(connection, socket);
    socket.once('close', () => {
      connections.delete(connection);
      // Its unread replies are gone with it: clients waiting on the global budget may go on.
      budget.wake();
    });
  });

  const claimed = await claimSocketPath(server, socketPath);
  if (claimed.isErr()) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return err(claimed.error);
  }
  server.on('error', (e) => log(`ipc: server error: ${e.message}`));

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await claimed.value.release();
    const shuttingDown = { code: 'SHUTTING_DOWN', message: 'the daemon is shutting down' } as const;
    for (const connection of connections.keys()) connection.shutdown(shuttingDown);
    const grace = setTimeout(() => {
      for (const socket of connections.values()) socket.destroy();
    }, options.closeGraceMs ?? 1000);
    await stopped;
    clearTimeout(grace);
  };
  return ok({
    socketPath,
    stats: () => ({ connections: connections.size, bufferedBytes: budget.bufferedBytes(), inFlight: budget.inFlight }),
    close: () => (closing ??= close()),
  });
}
