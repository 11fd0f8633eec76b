import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err, ok } from 'neverthrow';
import { createFrameDecoder, MAX_RESPONSE_FRAME_BYTES } from '../../src/ipc/framing.js';
import { METHODS, PROTOCOL_VERSION } from '../../src/ipc/protocol.js';
import { startIpcServer, type IpcServer, type IpcServerOptions, type MethodHandlers } from '../../src/ipc/server.js';

export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'cdl-ipc-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export const sampleEvent = (position: number) => ({
  position,
  streamId: `download-${position}`,
  type: 'download.requested',
  version: 1,
  data: { n: position },
  metadata: { actor: 'cli' },
  recordedAt: '2025-01-01T00:00:00.000Z',
});

/** The transport tests serve a few methods; the rest answer FAILED, as a daemon without that feature would. */
const notServed = () => Promise.resolve(err({ code: 'FAILED' as const, message: 'not served in this test' }));

export const defaultMethods: MethodHandlers = {
  ...(Object.fromEntries(Object.keys(METHODS).map((name) => [name, notServed])) as unknown as MethodHandlers),
  status: () =>
    Promise.resolve(ok({ version: '9.9.9', pid: process.pid, uptimeSeconds: 1, position: 42, dbPath: '/db', modelsDir: '/m', queue: { queued: 1 } })),
  history: (params) => Promise.resolve(ok({ events: [sampleEvent(params.since ?? 0)] })),
  replay: () => Promise.resolve(ok({ events: 0, views: 0, ms: 0 })),
};

export async function startServer(
  socketPath: string,
  overrides: Partial<IpcServerOptions> = {},
): Promise<IpcServer> {
  const started = await startIpcServer({
    socketPath,
    version: '9.9.9',
    methods: defaultMethods,
    subscribe: () => () => undefined,
    ...overrides,
  });
  return started._unsafeUnwrap();
}

/** A hand-driven client, to send what the real client never would. */
export interface RawConnection {
  readonly socket: Socket;
  send(data: string | Buffer): void;
  /** Resolves with the next frame (already parsed), or rejects when none arrives in time. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the daemon closes the connection. */
  closed: Promise<void>;
}

export function rawConnect(socketPath: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const decoder = createFrameDecoder(MAX_RESPONSE_FRAME_BYTES);
    const queue: Record<string, unknown>[] = [];
    let waiter: (() => void) | undefined;
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) queue.push(frame._unsafeUnwrap() as Record<string, unknown>);
      waiter?.();
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        send: (data) => socket.write(data),
        next: (timeoutMs = 5000) =>
          new Promise((give, fail) => {
            const attempt = (): void => {
              const frame = queue.shift();
              if (frame === undefined) return;
              clearTimeout(timer);
              waiter = undefined;
              give(frame);
            };
            const timer = setTimeout(() => fail(new Error('no frame arrived')), timeoutMs);
            waiter = attempt;
            attempt();
          }),
      }),
    );
  });
}

export async function rawHello(socketPath: string): Promise<RawConnection> {
  const raw = await rawConnect(socketPath);
  raw.send(`${JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'test' })}\n`);
  await raw.next();
  return raw;
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
