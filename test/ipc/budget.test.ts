import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ok } from 'neverthrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectIpc } from '../../src/ipc/client.js';
import { PROTOCOL_VERSION } from '../../src/ipc/protocol.js';
import { createFrameDecoder, MAX_RESPONSE_FRAME_BYTES } from '../../src/ipc/framing.js';
import type { IpcLimits, IpcServer, MethodHandlers } from '../../src/ipc/server.js';
import { defaultMethods, rawConnect, rawHello, sampleEvent, startServer, tempDir, waitFor } from './support.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let socketPath: string;
let server: IpcServer | undefined;
const sockets: Socket[] = [];

beforeEach(async () => {
  dir = await tempDir();
  socketPath = join(dir.path, 'run', 'daemon.sock');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
  await dir.remove();
});

const KiB = 1024;
const MiB = 1024 * KiB;
const hello = `${JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'test' })}\n`;
const req = (id: number, method = 'history'): string => `${JSON.stringify({ t: 'req', id, method, params: {} })}\n`;

/** `history` answers with one event of `bytes` bytes, and counts how often it was asked. */
function bigHistory(bytes: number, gate?: Promise<void>): { methods: MethodHandlers; calls: () => number } {
  let calls = 0;
  const payload = 'x'.repeat(bytes);
  return {
    calls: () => calls,
    methods: {
      ...defaultMethods,
      history: async () => {
        calls++;
        await gate;
        return ok({ events: [{ ...sampleEvent(calls), data: { payload } }] });
      },
    },
  };
}

/** A client that writes and never reads: its socket is paused from the start. */
function deafClient(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    sockets.push(socket);
    socket.pause();
    socket.once('error', reject);
    socket.once('connect', () => resolve(socket));
  });
}

function limits(overrides: Partial<IpcLimits>): Partial<IpcLimits> {
  return { pauseAboveBytes: 64 * KiB, ...overrides };
}

describe('the memory budget of the socket', () => {
  it('stops reading a client whose replies are unread, and answers everything in order once it reads', async () => {
    const history = bigHistory(100 * KiB);
    server = await startServer(socketPath, { methods: history.methods, limits: limits({ maxInFlightPerConnection: 2 }) });
    const client = await deafClient();
    client.write(hello + Array.from({ length: 500 }, (_, i) => req(i + 1)).join(''));
    // Give the daemon every chance to run away.
    await new Promise((r) => setTimeout(r, 1000));
    expect(history.calls()).toBeLessThan(30);
    expect(server.stats().bufferedBytes).toBeLessThanOrEqual(64 * KiB + 2 * 101 * KiB);
    // Now the client reads: every request is answered, once, in order.
    const decoder = createFrameDecoder(MAX_RESPONSE_FRAME_BYTES);
    const ids: number[] = [];
    client.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const value = frame._unsafeUnwrap() as { t: string; id?: number };
        if (value.t === 'res') ids.push(value.id!);
      }
    });
    client.resume();
    await waitFor(() => ids.length === 500, 20_000);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it('drops a client past its cap, logs why, and frees what it held', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const history = bigHistory(1 * MiB, gate);
    const log: string[] = [];
    server = await startServer(socketPath, { methods: history.methods, log: (m) => log.push(m), limits: limits({ dropAboveBytes: 2.5 * MiB, maxInFlightPerConnection: 4 }) });
    const client = await deafClient();
    client.write(hello + [1, 2, 3, 4].map((id) => req(id)).join(''));
    await waitFor(() => history.calls() === 4);
    // Four megabytes of answers for a client that reads nothing: over the cap. (It does not notice, since it
    // reads nothing; the daemon's side is what counts.)
    release();
    await waitFor(() => log.length > 0);
    expect(log.join('\n')).toMatch(/ipc: dropping a client: it sends requests and does not read the replies \(\d+ bytes unread\)/);
    await waitFor(() => server!.stats().connections === 0);
    expect(server.stats()).toEqual({ connections: 0, bufferedBytes: 0, inFlight: 0 });
  });

  it('drops the client holding the most when all together pass the global ceiling, and serves the others', async () => {
    const history = bigHistory(1 * MiB);
    const log: string[] = [];
    server = await startServer(socketPath, { methods: history.methods, log: (m) => log.push(m), limits: limits({ globalDropAboveBytes: 2.5 * MiB }) });
    const hog = await deafClient();
    hog.write(hello + [1, 2].map((id) => req(id)).join(''));
    await waitFor(() => server!.stats().bufferedBytes >= 2 * MiB - 512 * KiB);
    expect(log).toEqual([]);
    // A second client that reads nothing either tips the total over the ceiling: the one holding more goes.
    const small = await deafClient();
    small.write(hello + req(3));
    await waitFor(() => log.length > 0);
    expect(log[0]).toMatch(/dropping a client: all clients together leave over 2621440 bytes of replies unread; this one the most/);
    await waitFor(() => server!.stats().connections === 1);
    const polite = await rawHello(socketPath);
    polite.send(req(7, 'status'));
    expect(await polite.next()).toMatchObject({ t: 'res', id: 7, ok: true });
    polite.socket.destroy();
  });

  it('refuses connections over the limit with a clear error, and takes new ones when others leave', async () => {
    server = await startServer(socketPath, { limits: { maxConnections: 3 } });
    const held = await Promise.all([1, 2, 3].map(() => rawHello(socketPath)));
    const refused = await connectIpc(socketPath);
    expect(refused._unsafeUnwrapErr()).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', message: expect.stringContaining('already serves 3 connections') });
    held[0]!.socket.destroy();
    await waitFor(() => server!.stats().connections === 2);
    const admitted = await connectIpc(socketPath);
    expect((await admitted._unsafeUnwrap().request('status')).isOk()).toBe(true);
    await admitted._unsafeUnwrap().close();
    for (const raw of held) raw.socket.destroy();
  });

  it('drops a client whose request frame does not end in time (slowloris), not one that sends whole frames', async () => {
    const log: string[] = [];
    server = await startServer(socketPath, { log: (m) => log.push(m), limits: { frameTimeoutMs: 400 } });
    const slow = await rawHello(socketPath);
    slow.send('{"t":"req","id":1,');
    const steady = await rawHello(socketPath);
    const drip = setInterval(() => steady.send(req(2, 'status')), 100);
    try {
      await slow.closed;
      expect(log.join('\n')).toContain('dropping a client: a request frame did not end within 400 ms');
      await new Promise((r) => setTimeout(r, 600));
      expect(steady.socket.destroyed).toBe(false);
    } finally {
      clearInterval(drip);
      steady.socket.destroy();
    }
  });

  it('masks credentials in the error messages it sends', async () => {
    server = await startServer(socketPath);
    const raw = await rawConnect(socketPath);
    raw.send(hello);
    await raw.next();
    raw.send(`${JSON.stringify({ t: 'req', id: 1, method: 'https://user:pass@x/?api_key=SECRET', params: {} })}\n`);
    const answer = JSON.stringify(await raw.next());
    expect(answer).toContain('UNKNOWN_METHOD');
    expect(answer).not.toMatch(/pass|SECRET/);
    raw.socket.destroy();
  });
});
