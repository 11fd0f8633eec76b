// `npm run bench:live`: how long a job's state change takes to show in its Downloads row, end to end: the daemon
// appends the event, pushes the job's JSON to the gateway's subscription, the gateway relays it over SSE, the app
// renders the row. Measured in Debian's chromium against the simulator, on one throttled download paused and
// resumed many times. t0 is taken just before the pause/resume request leaves this process (so the request's own
// trip counts against us); t1 when the row's state attribute changes in the page, and again at the next frame
// (when it can be painted). Both clocks are the machine's wall clock (performance.timeOrigin + now()).
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startGateway } from '../../src/gateway/index.js';
import { connectIpc } from '../../src/ipc/client.js';
import { projectRoot } from '../../src/config/project-root.js';
import { defaultWorld, startSimulator, type ModelSpec } from '../../src/simulator/index.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/desktop/browser.js';
import { daemonHome, spawnDaemon } from '../../test/support/daemon-process.js';
import { fmt, median, printTable } from './measure.js';

const ROUNDS = Number(process.env.LIVE_ROW_ROUNDS ?? 60);
const MIB = 1024 * 1024;
const MODEL: ModelSpec = {
  id: 9501, name: 'Bench Live Row', type: 'Checkpoint', creator: 'bench', tags: [],
  versions: [{ id: 9502, name: 'v1', baseModel: 'SDXL 1.0', files: [{ id: 9503, name: 'bench-live-row.safetensors', content: { format: 'safetensors', fixture: 'sdxl-checkpoint', minSize: 512 * MIB } }], images: [] }],
};

const now = (): number => performance.timeOrigin + performance.now();
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

interface Change {
  readonly state: string;
  readonly dom: number;
  readonly frame: number;
}

const sim = await startSimulator({ world: { models: [...defaultWorld().models, MODEL] } });
sim.addFault({ kind: 'throttle', bytesPerSecond: 4 * MIB, fileId: 9503, times: Infinity });
const home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl });
const daemon = await spawnDaemon(home);
const client = (await connectIpc(home.socket))._unsafeUnwrap();
const gateway = (await startGateway({ socket: home.socket, staticDir: join(projectRoot(import.meta.url), 'desktop', 'dist'), host: '127.0.0.1', port: 0 }))._unsafeUnwrap();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
let exitCode = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(gateway.openUrl);
  await page.getByText('Daemon connected').waitFor();
  const job = (await client.request('add', { version: 9502 }))._unsafeUnwrap().job!;
  const row = page.locator(`article[data-job="${job.id}"]`);
  await row.and(page.locator('[data-state="downloading"]')).waitFor({ timeout: 30_000 });

  // Every change of the row's state, stamped when the DOM changed and at the frame after.
  await page.evaluate((id) => {
    const g = globalThis as unknown as { __changes: Change[]; document: { querySelector(s: string): unknown }; MutationObserver: new (cb: (records: { target: { getAttribute(n: string): string | null } }[]) => void) => { observe(node: unknown, options: unknown): void }; requestAnimationFrame(cb: () => void): void };
    const stamp = (): number => performance.timeOrigin + performance.now();
    g.__changes = [];
    new g.MutationObserver((records) => {
      for (const r of records) {
        const change = { state: r.target.getAttribute('data-state') ?? '', dom: stamp(), frame: 0 };
        g.__changes.push(change);
        g.requestAnimationFrame(() => (change.frame = stamp()));
      }
    }).observe(g.document.querySelector(`article[data-job="${id}"]`), { attributes: true, attributeFilter: ['data-state'] });
  }, job.id);

  const dom: number[] = [];
  const frame: number[] = [];
  const feed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const action = round % 2 === 0 ? 'pause' : 'resume';
    const seen = await page.evaluate(() => (globalThis as unknown as { __changes: Change[] }).__changes.length);
    const t0 = now();
    const answer = (await client.request(action, { job: job.id }))._unsafeUnwrap();
    // The event's own time (ms): what the daemon took to answer is apart from what the feed took to deliver.
    const recorded = Date.parse(answer.job.updatedAt);
    await page.waitForFunction((n) => (globalThis as unknown as { __changes: Change[] }).__changes.length > n, seen, { timeout: 10_000 });
    await page.waitForTimeout(50);
    const first = await page.evaluate((n) => (globalThis as unknown as { __changes: Change[] }).__changes[n]!, seen);
    dom.push(first.dom - t0);
    frame.push(first.frame - t0);
    feed.push(first.frame - recorded);
    // Let a resumed transfer get going (and a paused one settle) before the next change, at no fixed rhythm.
    await page.waitForTimeout(action === 'resume' ? 700 + Math.random() * 300 : 200 + Math.random() * 200);
    if (action === 'resume') await row.and(page.locator('[data-state="downloading"]')).waitFor({ timeout: 30_000 });
  }
  const rows = [
    ['measure', 'samples', 'p50 ms', 'p99 ms', 'max ms'],
    ['state change → row in the DOM', String(dom.length), fmt(median(dom)), fmt(percentile(dom, 99)), fmt(Math.max(...dom))],
    ['state change → next frame', String(frame.length), fmt(median(frame)), fmt(percentile(frame, 99)), fmt(Math.max(...frame))],
    ['event recorded → next frame (the feed alone)', String(feed.length), fmt(median(feed)), fmt(percentile(feed, 99)), fmt(Math.max(...feed))],
  ];
  printTable(`Live feed: a job's state change to its Downloads row (pause and resume, ${ROUNDS} rounds; goal < 100 ms p99)`, rows);
  const worst = Math.max(...frame);
  const at = frame.indexOf(worst);
  console.log(`\nworst round: ${fmt(worst)} ms to the frame (round ${at + 1}, ${at % 2 === 0 ? 'pause' : 'resume'}; ${fmt(feed[at]!)} ms of it after the event was recorded)`);
  console.log(`slowest five (ms to the frame): ${[...frame].sort((a, b) => b - a).slice(0, 5).map((v) => fmt(v)).join(', ')}`);
} catch (e) {
  console.error(`bench failed: ${(e as Error).stack ?? String(e)}`);
  exitCode = 1;
} finally {
  await browser.close();
  await gateway.close();
  await client.close();
  await daemon.stop();
  await sim.close();
  home.cleanup();
}
process.exitCode = exitCode;
