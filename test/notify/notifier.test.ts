import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import {
  startNotificationServer, startPrivateBus, type NotificationServer, type PrivateBus,
} from './notification-server.js';

describe('createNotifier on a private session bus', () => {
  let bus: PrivateBus;
  let server: NotificationServer | undefined;
  let notifier: Notifier | undefined;

  beforeAll(async () => {
    bus = await startPrivateBus();
  });
  afterEach(() => {
    notifier?.close();
    server?.stop();
    notifier = undefined;
    server = undefined;
  });
  afterAll(async () => {
    await bus.stop();
    expect(() => process.kill(bus.pid, 0)).toThrow();
  });

  it('delivers one notification with summary, body, app name, icon and urgency intact', async () => {
    server = await startNotificationServer(bus.address);
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl' });
    const sent = await notifier.notify({
      summary: 'Update available: Juggernaut XL',
      body: 'Version “Ragnarok” (SDXL 1.0) — 6.6 GB ✓',
      urgency: 'critical',
      icon: 'folder-download',
    });
    expect(sent._unsafeUnwrap()).toEqual({ id: 1 });
    // The server reports each call on its own stdout, which can arrive after the D-Bus reply.
    const [got] = await server.waitForCount(1);
    expect(server.received).toHaveLength(1);
    expect(got).toMatchObject({
      id: 1, appName: 'comfyui-dl', icon: 'folder-download', replacesId: 0, expireTimeout: -1, actions: [],
      summary: 'Update available: Juggernaut XL', body: 'Version “Ragnarok” (SDXL 1.0) — 6.6 GB ✓',
    });
    expect(got?.hints.get('urgency')).toBe(2);
  });

  it('records exactly N notifications for N calls, with increasing ids', async () => {
    server = await startNotificationServer(bus.address);
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl' });
    const n = 7;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => notifier!.notify({ summary: `Download complete ${i}`, body: `file-${i}.safetensors` })));
    expect(results.map((r) => r._unsafeUnwrap().id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await server.waitForCount(n);
    // Give a stray duplicate time to show up before asserting the exact count.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.received).toHaveLength(n);
    expect(new Set(server.received.map((r) => r.summary)).size).toBe(n);
  });

  it('escapes the body for servers that render markup, and never shows a secret or a signed URL', async () => {
    server = await startNotificationServer(bus.address, { capabilities: ['body', 'body-markup'] });
    const apiKey = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl', secrets: [apiKey] });
    await notifier.notify({
      summary: `Download failed (key ${apiKey})`,
      body: 'Tom & Jerry <v2>.safetensors from https://b2.example/file.safetensors?X-Amz-Signature=abc&token=xyz',
    });
    const [got] = await server.waitForCount(1);
    expect(got?.summary).toBe('Download failed (key ***)');
    expect(got?.body).toBe('Tom &amp; Jerry &lt;v2&gt;.safetensors from https://b2.example/file.safetensors');
  });

  it('sends plain text to a server that does not implement GetCapabilities', async () => {
    server = await startNotificationServer(bus.address, { capabilities: null });
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl' });
    expect((await notifier.notify({ summary: 'A & B', body: '<b>' })).isOk()).toBe(true);
    const [got] = await server.waitForCount(1);
    expect(got).toMatchObject({ summary: 'A & B', body: '<b>' });
  });

  it('reports NO_NOTIFICATION_SERVER when the bus works but nobody serves notifications', async () => {
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl' });
    const result = await notifier.notify({ summary: 's', body: 'b' });
    expect(result._unsafeUnwrapErr().code).toBe('NO_NOTIFICATION_SERVER');
  });

  it('opens a new connection for the next notification after close()', async () => {
    server = await startNotificationServer(bus.address);
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl' });
    expect((await notifier.notify({ summary: 'one', body: '' })).isOk()).toBe(true);
    notifier.close();
    expect((await notifier.notify({ summary: 'two', body: '' })).isOk()).toBe(true);
    expect((await server.waitForCount(2)).map((r) => r.summary)).toEqual(['one', 'two']);
  });

  it('gives up on a notification server that never answers, within the timeout', async () => {
    server = await startNotificationServer(bus.address, { unresponsive: true });
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl', timeoutMs: 200 });
    const started = performance.now();
    const result = await notifier.notify({ summary: 's', body: 'b' });
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'NOTIFY_FAILED' });
    expect(result._unsafeUnwrapErr().message).toContain('did not answer GetCapabilities within 200 ms');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('sends quotes, backslashes and line breaks through intact', async () => {
    server = await startNotificationServer(bus.address);
    notifier = createNotifier({ busAddress: bus.address, appName: "comfy'dl" });
    expect((await notifier.notify({ summary: "Juggernaut 'XL' \\ v2", body: 'line one\nline two' })).isOk()).toBe(true);
    const [got] = await server.waitForCount(1);
    expect(got).toMatchObject({ appName: "comfy'dl", summary: "Juggernaut 'XL' \\ v2", body: 'line one\nline two' });
  });

  it('reports NO_SESSION_BUS when gdbus is not installed', async () => {
    notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl', gdbus: join(tmpdir(), 'no-such-gdbus') });
    const result = await notifier.notify({ summary: 's', body: 'b' });
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'NO_SESSION_BUS', message: expect.stringMatching(/libglib2\.0-bin/) });
  });
});

describe('createNotifier when the session bus goes away', () => {
  it('reports NO_SESSION_BUS for the next notification instead of hanging', async () => {
    const shortLived = await startPrivateBus();
    const server = await startNotificationServer(shortLived.address);
    const notifier = createNotifier({ busAddress: shortLived.address, appName: 'comfyui-dl' });
    try {
      expect((await notifier.notify({ summary: 'before', body: '' })).isOk()).toBe(true);
      await server.waitForCount(1);
      await shortLived.stop();
      const started = performance.now();
      const result = await notifier.notify({ summary: 'after', body: '' });
      expect(result._unsafeUnwrapErr().code).toBe('NO_SESSION_BUS');
      expect(performance.now() - started).toBeLessThan(1000);
      expect(server.received.map((r) => r.summary)).toEqual(['before']);
    } finally {
      notifier.close();
      server.stop();
      await shortLived.stop();
    }
  });
});

describe('createNotifier without a session bus', () => {
  const notifyWithin = async (busAddress: string): Promise<{ code: string; ms: number }> => {
    const notifier = createNotifier({ busAddress, appName: 'comfyui-dl' });
    const started = performance.now();
    const result = await notifier.notify({ summary: 's', body: 'b' });
    notifier.close();
    return { code: result._unsafeUnwrapErr().code, ms: performance.now() - started };
  };

  it('believes a missing bus for a while: a batch of finished downloads does not start gdbus once per file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-gdbus-'));
    const calls = join(dir, 'calls');
    const fake = join(dir, 'gdbus');
    await writeFile(fake, `#!/bin/sh\necho call >> '${calls}'\necho 'Error: Cannot autolaunch D-Bus without X11 $DISPLAY' >&2\nexit 1\n`, { mode: 0o755 });
    try {
      const notifier = createNotifier({ busAddress: 'unix:path=/nonexistent', appName: 'comfyui-dl', gdbus: fake });
      for (let i = 0; i < 5; i++) expect((await notifier.notify({ summary: `s${i}`, body: '' }))._unsafeUnwrapErr().code).toBe('NO_SESSION_BUS');
      notifier.close();
      expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails fast with NO_SESSION_BUS when no address is set', async () => {
    const { code, ms } = await notifyWithin('');
    expect(code).toBe('NO_SESSION_BUS');
    expect(ms).toBeLessThan(1000);
  });

  it('fails fast with NO_SESSION_BUS when the socket does not exist', async () => {
    const { code, ms } = await notifyWithin(`unix:path=${join(tmpdir(), 'comfyui-dl-no-such-bus', 'bus')}`);
    expect(code).toBe('NO_SESSION_BUS');
    expect(ms).toBeLessThan(1000);
  });

  it('fails with NO_SESSION_BUS, not a hang, when the socket accepts but never speaks D-Bus', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-mute-'));
    const path = join(dir, 'bus');
    const mute: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(path, resolve));
    try {
      const notifier = createNotifier({ busAddress: `unix:path=${path}`, appName: 'comfyui-dl', timeoutMs: 300 });
      const started = performance.now();
      const result = await notifier.notify({ summary: 's', body: 'b' });
      expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'NO_SESSION_BUS' });
      expect(result._unsafeUnwrapErr().message).toContain('within 300 ms');
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      mute.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
