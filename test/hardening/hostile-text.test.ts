import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import type { CatalogEntryJson, EventJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { defaultWorld } from '../../src/simulator/default-world.js';
import { startNotificationServer, startPrivateBus, type NotificationServer, type PrivateBus } from '../notify/notification-server.js';
import { apiCall, fakeAppDir, portOf } from '../gateway/support.js';
import { cli, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { addAndWait, CANARY_KEY } from '../support/downloads.js';

// Text from outside, made hostile at its source (CivitAI's model and version names, a pasted reference, a filter
// in a URL), followed to every place it is shown: the terminal, the daemon's log, a desktop notification and the
// desktop app's JSON. None may carry a character a terminal or a reader acts on; --json keeps the value, escaped.

const MODEL_NAME = 'Evil\x1b]0;pwned\x07 LoRA \u202egnp.exe\r\nFAKE LINE\x9b2J';
const VERSION_NAME = 'v1\x1b[31m red';
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

describe('hostile text from outside, through every output', () => {
  let sim: Simulator;
  let bus: PrivateBus;
  let notifications: NotificationServer;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  const seen: [where: string, text: string][] = [];

  beforeAll(async () => {
    const world = defaultWorld();
    const hostile = {
      ...world,
      models: world.models.map((m) => (m.id === DEFAULT_IDS.sdxlLora.modelId ? { ...m, name: MODEL_NAME, versions: m.versions.map((v) => ({ ...v, name: VERSION_NAME })) } : m)),
    };
    sim = await startSimulator({ apiKey: CANARY_KEY, world: hostile });
    bus = await startPrivateBus();
    notifications = await startNotificationServer(bus.address);
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, CIVITAI_API_KEY: CANARY_KEY, DBUS_SESSION_BUS_ADDRESS: bus.address });
    daemon = await spawnDaemon(home);
  });
  afterAll(async () => {
    await daemon?.stop();
    notifications?.stop();
    await bus?.stop();
    await sim?.close();
    home?.cleanup();
  });

  it('a model named with escapes, a bidi override and CR LF is downloaded; the CLI shows it inert, --json keeps it escaped', async () => {
    const added = await addAndWait(home, ['--version', String(DEFAULT_IDS.sdxlLora.versionId)]);
    expect(added.code, added.stderr).toBe(0);
    seen.push(['add --wait (stderr)', added.stderr]);
    // One line per message: the title sequence gone with its payload, the override and CR LF gone.
    expect(added.stderr).toContain('Evil LoRA gnp.exe FAKE LINE2J / v1 red (sim-ink-style-xl.safetensors)');
    for (const args of [['queue', '--all'], ['list'], ['history'], ['status']]) {
      const r = await cli(home, args);
      expect(r.code).toBe(0);
      seen.push([args.join(' '), r.stdout + r.stderr]);
    }
    const json = await cli(home, ['history', '--json', '--type', 'download.resolved']);
    seen.push(['history --json', json.stdout]);
    expect(json.stdout).toContain('\\u001b]0;pwned\\u0007');
    expect(json.stdout).toContain('\\u202e');
    expect((JSON.parse(json.stdout) as EventJson[])[0]!.data.modelName).toBe(MODEL_NAME);
  });

  it('the desktop notification and the daemon log carry none of it', async () => {
    const [completed] = await notifications.waitForCount(1, 10_000);
    expect(completed!.summary + completed!.body).toContain('Evil');
    seen.push(['notification', `${completed!.summary}\n${completed!.body}`]);
    seen.push(['daemon stderr', daemon.stderr()]);
  });

  it("the desktop app's JSON carries none of it", async () => {
    const started = await startGateway({ socket: home.socket, staticDir: fakeAppDir(), host: '127.0.0.1', port: 0 });
    const gateway: Gateway = started._unsafeUnwrap();
    try {
      const port = portOf(gateway.url);
      const list = await apiCall(port, gateway.token, 'list');
      expect(list.status).toBe(200);
      seen.push(['gateway list', list.body]);
      expect(list.body).not.toMatch(/\\u001b|\\u202e|\\u009b/);
      const models = (JSON.parse(list.body) as { result: { models: CatalogEntryJson[] } }).result.models;
      expect(models.find((m) => m.modelName?.startsWith('Evil'))?.modelName).toBe('Evil LoRA gnp.exe\nFAKE LINE2J');
    } finally {
      await gateway.close();
    }
  });

  it('a pasted reference with an OSC title and a filter with %0d%0a are refused without echoing either raw', async () => {
    const title = await cli(home, ['add', '\x1b]0;pwned\x07https://civitai.com/models/1\u202e']);
    expect(title.code).toBe(2);
    seen.push(['add <OSC ref>', title.stdout + title.stderr]);
    const crlf = await cli(home, ['add', `${sim.apiUrl}/api/download/models/${DEFAULT_IDS.sdxlLora.versionId}?format=SafeTensor%0d%0aX-Injected:%201`]);
    expect(crlf.code).toBe(2);
    expect(crlf.stderr).toContain("The URL's `format` parameter holds control characters");
    seen.push(['add <CR LF filter>', crlf.stdout + crlf.stderr]);
  });

  it('nowhere did an active character come out', () => {
    expect(seen.length).toBeGreaterThan(8);
    for (const [where, text] of seen) expect(ACTIVE.exec(text)?.[0], where).toBeUndefined();
  });
});
