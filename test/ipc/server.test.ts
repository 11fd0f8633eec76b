import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { err, ok } from 'neverthrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectIpc } from '../../src/ipc/client.js';
import { PROTOCOL_VERSION } from '../../src/ipc/protocol.js';
import type { IpcServer } from '../../src/ipc/server.js';
import { defaultMethods, rawConnect, rawHello, sampleEvent, startServer, tempDir } from './support.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let socketPath: string;
let server: IpcServer | undefined;

beforeEach(async () => {
  dir = await tempDir();
  socketPath = join(dir.path, 'run', 'daemon.sock');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await dir.remove();
});

const req = (id: number, method: string, params: unknown = {}): string => `${JSON.stringify({ t: 'req', id, method, params })}\n`;

/** The connection still works after whatever the test threw at it. */
async function expectStillServing(raw: Awaited<ReturnType<typeof rawHello>>, id = 99): Promise<void> {
  raw.send(req(id, 'status'));
  expect(await raw.next()).toMatchObject({ t: 'res', id, ok: true, result: { version: '9.9.9' } });
}

describe('handshake', () => {
  it('answers hello with the protocol and the daemon version', async () => {
    server = await startServer(socketPath);
    const raw = await rawConnect(socketPath);
    raw.send(`${JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'test' })}\n`);
    expect(await raw.next()).toEqual({ t: 'hello', protocol: PROTOCOL_VERSION, daemon: '9.9.9' });
    await expectStillServing(raw);
    raw.socket.destroy();
  });

  it('refuses a protocol mismatch with a clear error and closes', async () => {
    server = await startServer(socketPath);
    const raw = await rawConnect(socketPath);
    raw.send('{"t":"hello","protocol":999,"client":"future-cli"}\n');
    expect(await raw.next()).toMatchObject({ t: 'hello', protocol: PROTOCOL_VERSION });
    const refusal = await raw.next();
    expect(refusal).toMatchObject({ t: 'error', error: { code: 'PROTOCOL_MISMATCH' } });
    expect(JSON.stringify(refusal)).toMatch(new RegExp(`protocol 999.*speaks ${PROTOCOL_VERSION}`));
    await raw.closed;
  });

  it('refuses a request before the handshake', async () => {
    server = await startServer(socketPath);
    const raw = await rawConnect(socketPath);
    raw.send(req(1, 'status'));
    expect(await raw.next()).toMatchObject({ t: 'error', error: { code: 'HANDSHAKE_REQUIRED' } });
    await raw.closed;
  });

  it('drops a client that never says hello', async () => {
    server = await startServer(socketPath, { handshakeTimeoutMs: 50 });
    const raw = await rawConnect(socketPath);
    await raw.closed;
  });
});

describe('requests', () => {
  it('round-trips typed requests through the client', async () => {
    server = await startServer(socketPath);
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    expect(client.daemonVersion).toBe('9.9.9');
    const status = (await client.request('status'))._unsafeUnwrap();
    expect(status).toMatchObject({ pid: process.pid, position: 42, queue: { queued: 1 } });
    const history = (await client.request('history', { since: 7, limit: 5 }))._unsafeUnwrap();
    expect(history.events[0]).toMatchObject({ position: 7, streamId: 'download-7' });
    await client.close();
  });

  it('serves concurrent requests and answers each as soon as it is done', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    server = await startServer(socketPath, {
      methods: {
        ...defaultMethods,
        replay: async () => {
          await gate;
          return ok({ events: 3, views: 2, ms: 1 });
        },
      },
    });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    let replayDone = false;
    const slow = client.request('replay').then((r) => ((replayDone = true), r));
    const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request('history', { since: i })));
    expect(fast.map((r) => r._unsafeUnwrap().events[0]?.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(replayDone).toBe(false);
    release();
    expect((await slow)._unsafeUnwrap()).toEqual({ events: 3, views: 2, ms: 1 });
    await client.close();
  });

  it('passes a handler error through and turns a throw into INTERNAL, serving others meanwhile', async () => {
    const logged: string[] = [];
    server = await startServer(socketPath, {
      log: (m) => logged.push(m),
      methods: {
        ...defaultMethods,
        history: () => Promise.resolve(err({ code: 'NOT_FOUND', message: 'no such stream' })),
        replay: () => {
          throw new Error('boom');
        },
      },
    });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    const [thrown, status, missing] = await Promise.all([client.request('replay'), client.request('status'), client.request('history')]);
    expect(thrown._unsafeUnwrapErr()).toMatchObject({ code: 'INTERNAL' });
    expect(thrown._unsafeUnwrapErr().message).not.toContain('boom');
    expect(logged.join('\n')).toContain('boom');
    expect(status.isOk()).toBe(true);
    expect(missing._unsafeUnwrapErr()).toEqual({ code: 'NOT_FOUND', message: 'no such stream' });
    await client.close();
  });

  it('answers unknown methods and bad params by id, and keeps serving', async () => {
    server = await startServer(socketPath);
    const raw = await rawHello(socketPath);
    raw.send(req(1, 'launch.missiles'));
    const unknown = await raw.next();
    expect(unknown).toMatchObject({ t: 'res', id: 1, ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(JSON.stringify(unknown)).toContain('status');
    raw.send(req(2, 'history', { limit: 'ten', since: -1 }));
    const bad = await raw.next();
    expect(bad).toMatchObject({ t: 'res', id: 2, ok: false, error: { code: 'BAD_PARAMS' } });
    expect(JSON.stringify(bad)).toMatch(/limit.*since|since.*limit/);
    raw.send(req(3, 'toString'));
    expect(await raw.next()).toMatchObject({ id: 3, error: { code: 'UNKNOWN_METHOD' } });
    raw.send('{"t":"req","id":4,"method":17}\n');
    expect(await raw.next()).toMatchObject({ t: 'res', id: 4, ok: false, error: { code: 'BAD_FRAME' } });
    await expectStillServing(raw);
    raw.socket.destroy();
  });

  it('survives a 10 MiB line, binary garbage and truncated JSON', async () => {
    server = await startServer(socketPath);
    const raw = await rawHello(socketPath);
    raw.send(`{"t":"req","id":1,"method":"status","params":{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}}\n`);
    expect(await raw.next()).toMatchObject({ t: 'error', error: { code: 'FRAME_TOO_LARGE' } });
    await expectStillServing(raw, 10);
    raw.send(Buffer.concat([randomBytes(4096).map((b) => (b === 0x0a ? 0xff : b)), Buffer.from([0xff, 0x0a])]));
    expect(await raw.next()).toMatchObject({ t: 'error', error: { code: 'BAD_FRAME' } });
    await expectStillServing(raw, 11);
    raw.send('{"t":"req","id":5,"meth\n');
    expect(await raw.next()).toMatchObject({ t: 'error', error: { code: 'BAD_FRAME' } });
    await expectStillServing(raw, 12);
    raw.socket.destroy();
  });

  it('refuses results larger than the response frame cap', async () => {
    server = await startServer(socketPath, {
      maxResponseFrameBytes: 1000,
      methods: {
        ...defaultMethods,
        history: (params) => Promise.resolve(ok({ events: Array.from({ length: params.limit ?? 1 }, (_, i) => sampleEvent(i)) })),
      },
    });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    expect((await client.request('history', { limit: 1 })).isOk()).toBe(true);
    expect((await client.request('history', { limit: 50 }))._unsafeUnwrapErr()).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect((await client.request('status')).isOk()).toBe(true);
    await client.close();
  });
});
