import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import type { EventJson, JobJson } from '../../src/ipc/protocol.js';
import { DEFAULT_IDS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { apiCall, fakeAppDir, portOf, readEventStream, send } from './support.js';

describe('gateway in front of a real daemon', () => {
  let sim: Simulator;
  let home: DaemonHome;
  let daemon: SpawnedDaemon;
  let gateway: Gateway;
  let port: number;
  let appDir: string;
  const call = async <T>(method: string, params: unknown = {}): Promise<T> => {
    const r = await apiCall(port, gateway.token, method, params);
    const body = JSON.parse(r.body) as { ok: boolean; result: T; error?: unknown };
    if (!body.ok) throw new Error(`${method} failed (${r.status}): ${JSON.stringify(body.error)}`);
    return body.result;
  };
  const waitForJob = async (id: string, state: JobJson['state']): Promise<JobJson> => {
    for (let i = 0; i < 300; i++) {
      const { job } = await call<{ job: JobJson }>('job', { job: id });
      if (job.state === state) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} never reached ${state}`);
  };

  beforeAll(async () => {
    sim = await startSimulator();
    home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
    daemon = await spawnDaemon(home);
    appDir = fakeAppDir();
    gateway = (await startGateway({ socket: home.socket, staticDir: appDir, host: '127.0.0.1', port: 0, events: { progressIntervalMs: 50 } }))._unsafeUnwrap();
    port = portOf(gateway.url);
  });
  afterAll(async () => {
    await gateway?.close();
    await daemon?.stop();
    await sim?.close();
    home?.cleanup();
    if (appDir) rmSync(appDir, { recursive: true, force: true });
  });

  it('round-trips a method to the daemon and relays its errors with a status', async () => {
    const status = await call<{ version: string; modelsDir: string }>('status');
    expect(status.modelsDir).toBe(home.modelsDir);
    const missing = await apiCall(port, gateway.token, 'job', { job: 'no-such-job' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const bad = await apiCall(port, gateway.token, 'add', { nope: 1 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('BAD_PARAMS');
  });

  it('streams live events and progress over SSE, and serves the preview of a downloaded model', async () => {
    const { position } = await call<{ position: number }>('status');
    const stream = await readEventStream(port, `/api/events?token=${gateway.token}`);
    expect(stream.status).toBe(200);
    await stream.waitFor((m) => m.event === 'caught_up');
    const { job } = await call<{ job: JobJson }>('add', { ref: `${sim.apiUrl}/models/${DEFAULT_IDS.sdxlLora.modelId}` });
    const requested = await stream.waitFor((m) => m.event === 'event' && (m.data as EventJson).type === 'download.requested');
    expect(Number(requested.id)).toBeGreaterThan(position);
    expect((requested.data as EventJson).streamId).toBe(`download-${job.id}`);
    await stream.waitFor((m) => m.event === 'event' && (m.data as EventJson).type === 'download.placed');
    const progress = stream.messages.filter((m) => m.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.data).toMatchObject({ jobId: job.id });
    // Every state the job went through came as its JSON with the events: a page needs no request to show it.
    await stream.waitFor((m) => m.event === 'job' && (m.data as JobJson).state === 'completed');
    const states = stream.messages.filter((m) => m.event === 'job' && (m.data as JobJson).id === job.id).map((m) => (m.data as JobJson).state);
    expect(states).toContain('downloading');
    expect(states.at(-1)).toBe('completed');
    expect(new Set(states).size).toBeGreaterThan(2);
    stream.close();

    const placed = await waitForJob(job.id, 'completed');
    // Paging back from the newest event, by category and leaving chunk writes out (what the Timeline does).
    const { events: newest } = await call<{ events: EventJson[] }>('history', { before: Number.MAX_SAFE_INTEGER, limit: 3, categories: ['download'], excludeTypes: ['download.chunk_written'] });
    expect(newest.map((e) => e.position)).toEqual([...newest.map((e) => e.position)].sort((a, b) => a - b));
    expect(newest.some((e) => e.type === 'download.placed')).toBe(true);
    const { events: older } = await call<{ events: EventJson[] }>('history', { before: newest[0]!.position, limit: 1000, categories: ['download'], excludeTypes: ['download.chunk_written'] });
    expect(older.at(-1)!.position).toBeLessThan(newest[0]!.position);
    expect(older[0]!.type).toBe('download.requested');
    expect(older.some((e) => e.type === 'download.chunk_written')).toBe(false);
    const preview = await send({ port, path: `/api/preview?path=${encodeURIComponent(placed.path!)}&token=${gateway.token}` });
    expect(preview.status).toBe(200);
    expect(preview.headers['content-type']).toMatch(/^image\//);
    for (const path of ['../../etc/passwd', `${placed.path!}.metadata.json`, placed.path!.replace(/\.safetensors$/, '.preview.webp'), '']) {
      const r = await send({ port, path: `/api/preview?path=${encodeURIComponent(path)}&token=${gateway.token}` });
      expect(r.status, path).toBe(404);
    }
  });

  it('replays from a position, and picks up after a daemon restart on a new connection', async () => {
    const replay = await readEventStream(port, `/api/events?token=${gateway.token}&from=1`);
    const first = await replay.waitFor((m) => m.event === 'event');
    expect(first.id).toBe('1');
    await replay.waitFor((m) => m.event === 'caught_up');

    await daemon.stop();
    await replay.waitFor((m) => m.event === 'end');
    replay.close();
    const down = await apiCall(port, gateway.token, 'status');
    expect(down.status).toBe(503);

    daemon = await spawnDaemon(home);
    const { queue } = await call<{ queue: Record<string, number> }>('status');
    expect(queue.completed).toBe(1);
    // A browser reconnects with the id of the last event it saw and misses nothing.
    const resumed = await readEventStream(port, `/api/events?token=${gateway.token}`, { 'last-event-id': '1' });
    expect((await resumed.waitFor((m) => m.event === 'event')).id).toBe('2');
    resumed.close();
  });
});
