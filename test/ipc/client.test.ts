import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { connectIpc } from '../../src/ipc/client.js';
import { createFrameDecoder } from '../../src/ipc/framing.js';
import { PROTOCOL_VERSION, type SubscriptionFrame } from '../../src/ipc/protocol.js';
import { tempDir, waitFor } from './support.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let fake: Server | undefined;

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  fake?.close();
  await dir.remove();
});

/** A daemon impostor that answers each request with whatever `reply` returns, to feed the client bad frames. */
async function fakeDaemon(reply: (request: { id: number; method: string }) => unknown[]): Promise<string> {
  const socketPath = join(dir.path, 'fake.sock');
  fake = createServer((socket) => {
    const decoder = createFrameDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const value = frame._unsafeUnwrap() as { t: string; id: number; method: string };
        const out = value.t === 'hello' ? [{ t: 'hello', protocol: PROTOCOL_VERSION, daemon: 'fake' }] : reply(value);
        for (const line of out) socket.write(`${JSON.stringify(line)}\n`);
      }
    });
  });
  await new Promise<void>((r) => fake?.listen(socketPath, r));
  return socketPath;
}

it('fails requests and subscriptions with BAD_RESPONSE when the daemon sends what the protocol does not allow', async () => {
  const socketPath = await fakeDaemon(({ id, method }) => {
    if (method === 'status') return [{ t: 'res', id, ok: true, result: { pid: 'not a number' } }];
    if (method === 'history') return [{ t: 'res', id, ok: false, error: { code: 'NO_SUCH_CODE', message: 'x' } }];
    if (method === 'events.subscribe') return [{ t: 'res', id, ok: true, result: { sub: id } }, { t: 'event', sub: id, event: { position: -1 } }];
    return [];
  });
  const client = (await connectIpc(socketPath))._unsafeUnwrap();
  expect(client.daemonVersion).toBe('fake');
  expect((await client.request('status'))._unsafeUnwrapErr().code).toBe('BAD_RESPONSE');
  expect((await client.request('history'))._unsafeUnwrapErr().code).toBe('BAD_RESPONSE');
  const frames: SubscriptionFrame[] = [];
  client.subscribe({}, (f) => frames.push(f));
  await waitFor(() => frames.length > 0);
  expect(frames).toEqual([{ t: 'end', sub: 3, error: expect.objectContaining({ code: 'BAD_RESPONSE' }) }]);
  await client.close();
});

it('fails pending requests with CONNECTION_CLOSED when the daemon dies mid-request', async () => {
  let crash: () => void = () => undefined;
  const socketPath = await fakeDaemon(() => {
    crash();
    return [];
  });
  fake?.on('connection', (socket) => (crash = () => socket.destroy()));
  const client = (await connectIpc(socketPath))._unsafeUnwrap();
  const error = (await client.request('status'))._unsafeUnwrapErr();
  expect(error.code).toBe('CONNECTION_CLOSED');
  expect(error.message).toMatch(/daemon closed the connection/);
  expect((await client.request('status'))._unsafeUnwrapErr().code).toBe('CONNECTION_CLOSED');
  await client.close();
});
