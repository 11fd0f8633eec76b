import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectIpc, type IpcClient } from '../../src/ipc/client.js';
import { PROTOCOL_VERSION } from '../../src/ipc/protocol.js';
import { daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { residentBytes, seedLog } from './support.js';

// The stated bound: whatever local clients do to the socket, the daemon stays under this resident size.
// (Before the budgets, 3,000 unread `history` requests took it from 105 MB to 1.7 GB.)
const RSS_BOUND_BYTES = 300 * 1024 * 1024;
const ABUSE_MS = 8000;
const SEED = 0x5eed_1d;

/** A small deterministic generator, so a failing run can be replayed from its seed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const hello = `${JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'fuzz' })}\n`;
const history = (id: number): string => `${JSON.stringify({ t: 'req', id, method: 'history', params: {} })}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the socket under misbehaving clients (a real daemon, real sockets)', () => {
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  const sockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];

  const open = (options: { read: boolean }): Socket => {
    const socket = connect(home.socket);
    socket.on('error', () => undefined);
    if (!options.read) socket.pause();
    else socket.on('data', () => undefined);
    sockets.push(socket);
    return socket;
  };
  const every = (ms: number, run: () => void): void => void timers.push(setInterval(run, ms));

  beforeAll(async () => {
    home = daemonHome();
    // 1,500 events: every `history` answer is a page of 1,000 (about 200 KB).
    await seedLog(home.dataDir, 1500);
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await daemon?.stop();
    home?.cleanup();
  });

  it(`stays under ${RSS_BOUND_BYTES / 2 ** 20} MiB of RSS, keeps serving a polite client, and lets go of everything when they leave`, async () => {
    const pid = daemon.child.pid!;
    const polite: IpcClient = (await connectIpc(home.socket, { client: 'polite' }))._unsafeUnwrap();
    expect((await polite.request('history', {}))._unsafeUnwrap().events).toHaveLength(1000);
    const baseline = residentBytes(pid);
    let peak = baseline;
    every(50, () => (peak = Math.max(peak, residentBytes(pid))));
    const next = random(SEED);

    // Never reads: thousands of `history` requests (hundreds of MB of answers) pipelined at once.
    for (let c = 0; c < 6; c++) {
      open({ read: false }).write(hello + Array.from({ length: 3000 }, (_, i) => history(i + 1)).join(''));
    }
    // Slowloris: a frame that never ends, one byte at a time.
    for (let c = 0; c < 30; c++) {
      const socket = open({ read: true });
      socket.write(`${hello}{"t":"req","id":1,"method":"`);
      every(100, () => socket.write('a'));
    }
    // Garbage: random bytes, sometimes with newlines; half of them never read the errors they get back.
    for (let c = 0; c < 4; c++) {
      const socket = open({ read: c % 2 === 0 });
      socket.write(hello);
      every(20, () => {
        const chunk = Buffer.alloc(16 * 1024);
        for (let i = 0; i < chunk.length; i++) chunk[i] = next() < 0.01 ? 0x0a : Math.floor(next() * 256);
        socket.write(chunk);
      });
    }
    // Huge frames: 8 MiB lines, over the 1 MiB request limit.
    for (let c = 0; c < 3; c++) {
      const socket = open({ read: false });
      socket.write(hello);
      for (let i = 0; i < 4; i++) socket.write(`{"t":"req","id":${i},"method":"status","params":{"pad":"${'p'.repeat(8 * 1024 * 1024)}"}}\n`);
    }
    // Many connections: far over the limit, half of them never saying hello.
    for (let c = 0; c < 300; c++) {
      const socket = open({ read: c % 3 !== 0 });
      if (c % 2 === 0) socket.write(hello);
    }

    // Meanwhile a well-behaved client keeps working.
    let answered = 0;
    const deadline = Date.now() + ABUSE_MS;
    while (Date.now() < deadline) {
      const status = await polite.request('status');
      expect(status.isOk()).toBe(true);
      answered++;
      await sleep(200);
    }
    expect(answered).toBeGreaterThan(5);

    for (const t of timers.splice(1)) clearInterval(t);
    for (const s of sockets.splice(0)) s.destroy();
    // Memory returns when they leave: no connection but the polite one, nothing unread, nothing in flight.
    let ipc = (await polite.request('status'))._unsafeUnwrap().ipc;
    for (let i = 0; i < 100 && !(ipc?.connections === 1 && ipc.bufferedBytes === 0 && ipc.inFlight === 1); i++) {
      await sleep(100);
      ipc = (await polite.request('status'))._unsafeUnwrap().ipc;
    }
    expect(ipc).toEqual({ connections: 1, bufferedBytes: 0, inFlight: 1 });
    clearInterval(timers.splice(0)[0]);
    const after = residentBytes(pid);
    process.stdout.write(`ipc fuzz: RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB, after ${(after / 2 ** 20).toFixed(0)} MiB (bound ${RSS_BOUND_BYTES / 2 ** 20} MiB)\n`);
    expect(peak).toBeLessThan(RSS_BOUND_BYTES);
    expect(after).toBeLessThan(RSS_BOUND_BYTES);
    expect(daemon.stderr()).toMatch(/ipc: refusing connections over the limit of 128/);
    await polite.close();
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
