import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNotifications } from '../../src/handlers/notify/notifications.js';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import type { NewEvent } from '../../src/events/envelope.js';
import { startNotificationServer, startPrivateBus, type NotificationServer, type PrivateBus } from '../notify/notification-server.js';
import { eventsOfType, openTempStore, type TempStore } from '../support/temp-store.js';

const SHA = 'c'.repeat(64);

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('desktop notifications from the log', () => {
  let t: TempStore;
  let logs: string[];
  let handlers: { stop(): void }[];
  const log = (line: string) => logs.push(line);
  const start = (notifier: Notifier) => {
    const handler = startNotifications({ store: t.store, db: t.db, notifier, log });
    handlers.push(handler);
    return handler;
  };
  const append = async (streamId: string, event: NewEvent) => (await t.store.append([{ streamId, events: [event], metadata: { actor: 'daemon' } }]))._unsafeUnwrap();
  const sent = () => eventsOfType(t, 'notification.sent').map((e) => e.data);
  const discover = (eventId: string, versionId: number) =>
    append('model-1001', { eventId, type: 'model.version_discovered', data: { modelId: 1001, versionId, versionName: 'v2.0', publishedAt: null, baseModel: 'SD 1.5', installedVersionId: 2001 } });

  beforeEach(async () => {
    t = await openTempStore(() => new Date());
    logs = [];
    handlers = [];
    await append(`file-${SHA}`, {
      eventId: 'identified', type: 'file.identified',
      data: { sha256: SHA, modelId: 1001, versionId: 2001, modelName: 'Sim Realistic', versionName: 'v1.0', modelType: 'Checkpoint', baseModel: 'SD 1.5', source: 'civitai', civitai: {} },
    });
  });
  afterEach(async () => {
    for (const h of handlers) h.stop();
    await t.close();
  });

  describe('with a session bus', () => {
    let bus: PrivateBus;
    let server: NotificationServer;
    let notifier: Notifier;
    beforeAll(async () => {
      bus = await startPrivateBus();
      server = await startNotificationServer(bus.address);
      notifier = createNotifier({ busAddress: bus.address, appName: 'comfyui-dl' });
    });
    afterAll(async () => {
      notifier.close();
      server.stop();
      await bus.stop();
    });

    it('notifies a discovery exactly once, and never again after a restart', async () => {
      const before = server.received.length;
      const first = start(notifier);
      await discover('update:2901', 2901);
      await until(() => sent().length === 1);
      // The server reports each call on its stdout, which can arrive after the D-Bus reply the handler waited for.
      await server.waitForCount(before + 1);
      expect(server.received.slice(before).map((n) => n.summary)).toEqual(['Sim Realistic: v2.0 is available']);
      expect(sent()).toEqual([{ key: 'update:2901', kind: 'update', summary: 'Sim Realistic: v2.0 is available' }]);
      first.stop();

      const restarted = start(notifier);
      // The same discovery recorded again under another id is still the same notification.
      await discover('update:2901:again', 2901);
      await append('download-job1', {
        eventId: 'job1:placed', type: 'download.placed',
        data: { path: 'loras/ink.safetensors', folder: 'loras', sizeBytes: 1, sha256: SHA, alreadyPresent: false },
      });
      await until(() => sent().length === 2);
      await server.waitForCount(before + 2);
      await settle();
      expect(server.received.slice(before).map((n) => n.summary)).toEqual(['Sim Realistic: v2.0 is available', 'Downloaded job job1']);
      expect(sent().map((s) => (s as { key: string }).key)).toEqual(['update:2901', 'done:job1']);
      restarted.stop();
      expect(logs).toEqual([]);
    });

    it('does not notify what happened before it started', async () => {
      const before = server.received.length;
      await discover('update:2902', 2902);
      const handler = start(notifier);
      await append('download-job2', { eventId: 'job2:failed', type: 'download.failed', data: { code: 'NETWORK', message: 'the connection dropped', retryable: true } });
      await until(() => sent().length === 1);
      await server.waitForCount(before + 1);
      handler.stop();
      expect(server.received.slice(before).map((n) => [n.summary, n.body])).toEqual([['Download failed: job job2', 'the connection dropped']]);
      expect(sent()).toEqual([expect.objectContaining({ key: expect.stringMatching(/^failed:job2:\d+$/), kind: 'download_failed' })]);
    });
  });

  it('logs once and carries on without a session bus', async () => {
    const notifier = createNotifier({ busAddress: `unix:path=${t.dir}/no-bus-here`, appName: 'comfyui-dl', timeoutMs: 500 });
    const handler = start(notifier);
    await discover('update:2903', 2903);
    await discover('update:2904', 2904);
    await until(() => logs.length > 0);
    await settle();
    handler.stop();
    notifier.close();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/session bus/);
    expect(sent()).toEqual([]);
  });
});
