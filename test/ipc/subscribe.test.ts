import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectIpc } from '../../src/ipc/client.js';
import type { SubscribeParams, SubscriptionFrame } from '../../src/ipc/protocol.js';
import type { IpcServer, Push, SubscribeHandler } from '../../src/ipc/server.js';
import { rawHello, sampleEvent, startServer, tempDir, waitFor } from './support.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let socketPath: string;
let server: IpcServer | undefined;

beforeEach(async () => {
  dir = await tempDir();
  socketPath = join(dir.path, 'daemon.sock');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await dir.remove();
});

/** A stand-in for the daemon's live$ feed: replays `from..head` on subscribe, then pushes what the test emits. */
function liveFeed(head: number) {
  const subscribers = new Set<Push>();
  const received: SubscribeParams[] = [];
  let unsubscribed = 0;
  const subscribe: SubscribeHandler = (params, push) => {
    received.push(params);
    for (let p = params.from ?? head + 1; p <= head; p++) push({ t: 'event', event: sampleEvent(p) });
    push({ t: 'caught_up', position: head });
    subscribers.add(push);
    return () => {
      subscribers.delete(push);
      unsubscribed++;
    };
  };
  return {
    subscribe,
    received,
    emit: (push: (p: Push) => void) => subscribers.forEach(push),
    get unsubscribed() {
      return unsubscribed;
    },
    get active() {
      return subscribers.size;
    },
  };
}

function collect() {
  const frames: SubscriptionFrame[] = [];
  return { frames, onFrame: (f: SubscriptionFrame) => void frames.push(f) };
}

describe('subscriptions', () => {
  it('delivers catch-up, caught_up, live events, progress and end, in order', async () => {
    const feed = liveFeed(3);
    server = await startServer(socketPath, { subscribe: feed.subscribe });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    const { frames, onFrame } = collect();
    client.subscribe({ from: 2, category: 'download', types: ['download.requested'] }, onFrame);
    await waitFor(() => frames.length === 3);
    feed.emit((push) => push({ t: 'event', event: sampleEvent(4) }));
    feed.emit((push) => push({ t: 'progress', jobId: 'j1', bytesDone: 10, bytesTotal: null, speed: 5 }));
    feed.emit((push) => push({ t: 'end' }));
    await waitFor(() => frames.at(-1)?.t === 'end');
    expect(frames.map((f) => (f.t === 'event' ? f.event.position : f.t))).toEqual([2, 3, 'caught_up', 4, 'progress', 'end']);
    expect(frames[4]).toMatchObject({ jobId: 'j1', bytesDone: 10, speed: 5 });
    expect(frames[5]).not.toHaveProperty('error');
    expect(feed.received).toEqual([{ from: 2, category: 'download', types: ['download.requested'] }]);
    expect(feed.unsubscribed).toBe(1);
    expect((await client.request('status')).isOk()).toBe(true);
    await client.close();
  });

  it('stops the producer when the client closes the subscription or disconnects', async () => {
    const feed = liveFeed(0);
    server = await startServer(socketPath, { subscribe: feed.subscribe });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    const first = collect();
    const subscription = client.subscribe({}, first.onFrame);
    client.subscribe({}, () => undefined);
    await waitFor(() => feed.active === 2);
    subscription.close();
    await waitFor(() => feed.unsubscribed === 1);
    feed.emit((push) => push({ t: 'event', event: sampleEvent(1) }));
    await client.request('status');
    expect(first.frames.map((f) => f.t)).toEqual(['caught_up']);
    await client.close();
    await waitFor(() => feed.unsubscribed === 2);
  });

  it('ends the subscription with an error when the params are bad or the producer throws', async () => {
    server = await startServer(socketPath, {
      subscribe: () => {
        throw new Error('feed broke');
      },
    });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    const bad = collect();
    client.subscribe({ from: -5 } as SubscribeParams, bad.onFrame);
    const thrown = collect();
    client.subscribe({}, thrown.onFrame);
    await waitFor(() => bad.frames.length === 1 && thrown.frames.length === 1);
    expect(bad.frames[0]).toMatchObject({ t: 'end', error: { code: 'BAD_PARAMS' } });
    expect(thrown.frames[0]).toMatchObject({ t: 'end', error: { code: 'INTERNAL' } });
    await client.close();
  });

  it('cuts off a subscriber that stops reading, without starving other clients', async () => {
    const feed = liveFeed(0);
    server = await startServer(socketPath, { subscribe: feed.subscribe, maxSubscriptionBufferBytes: 256 * 1024 });
    const slow = await rawHello(socketPath);
    slow.send(`${JSON.stringify({ t: 'req', id: 1, method: 'events.subscribe', params: {} })}\n`);
    expect(await slow.next()).toMatchObject({ t: 'res', id: 1, ok: true });
    slow.socket.pause();
    // Produce as a busy daemon would: far more than the kernel buffers and the cap together.
    let pushed = 0;
    const pump = (): void => {
      let alive = true;
      feed.emit((push) => (alive = push({ t: 'event', event: { ...sampleEvent(++pushed), data: { pad: 'x'.repeat(1024) } } })));
      if (alive && pushed < 20_000) setImmediate(pump);
    };
    pump();
    await waitFor(() => feed.unsubscribed === 1);
    expect(pushed).toBeLessThan(20_000);

    const other = (await connectIpc(socketPath))._unsafeUnwrap();
    expect((await other.request('status')).isOk()).toBe(true);
    await other.close();

    slow.socket.resume();
    let frame = await slow.next();
    while (frame.t !== 'end') frame = await slow.next();
    expect(frame).toMatchObject({ sub: 1, error: { code: 'SUBSCRIBER_TOO_SLOW' } });
    slow.socket.destroy();
  });

  it('on close(), ends subscriptions with SHUTTING_DOWN and fails later requests', async () => {
    const feed = liveFeed(0);
    server = await startServer(socketPath, { subscribe: feed.subscribe });
    const client = (await connectIpc(socketPath))._unsafeUnwrap();
    const { frames, onFrame } = collect();
    client.subscribe({}, onFrame);
    await waitFor(() => frames.length === 1);
    await server.close();
    server = undefined;
    await waitFor(() => frames.at(-1)?.t === 'end');
    expect(frames.at(-1)).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });
    expect(feed.unsubscribed).toBe(1);
    expect((await client.request('status'))._unsafeUnwrapErr().code).toBe('CONNECTION_CLOSED');
    const late = collect();
    client.subscribe({}, late.onFrame);
    await waitFor(() => late.frames.length === 1);
    expect(late.frames[0]).toMatchObject({ t: 'end', error: { code: 'CONNECTION_CLOSED' } });
  });
});
