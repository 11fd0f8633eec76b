// Model-based test of the job lifecycle: random interleavings of user commands, kill -9 and server faults against
// a real spawned daemon and the simulator. After every step, what `queue --json` says must agree with a simple
// model of what the user was told; at the end every job not cancelled completes with the right SHA-256, nothing
// else lands in the models folder, and an idle daemon burns no CPU.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobJson } from '../../src/ipc/protocol.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, cliJson, daemonHome, spawnDaemon, type DaemonHome, type SpawnedDaemon } from '../support/daemon-process.js';
import { cpuSeconds, filesUnder, sizedModel, waitFor } from '../support/downloads.js';

const MiB = 1024 * 1024;
const MODELS = [sizedModel(8100, 24 * MiB), sizedModel(8200, 16 * MiB), sizedModel(8300, 32 * MiB)];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ACTIVE = new Set<JobJson['state']>(['queued', 'resolving', 'downloading', 'waiting', 'verifying', 'completed']);

/** What the user was told about each file's job. */
type Expected = 'active' | 'paused' | 'cancelled' | 'completed';
interface Model {
  jobs: Map<number, { id: string; expected: Expected }>;
}
interface Real {
  sim: Simulator;
  home: DaemonHome;
  daemon: SpawnedDaemon;
}

async function queue(r: Real): Promise<Map<string, JobJson>> {
  return new Map((await cliJson<JobJson[]>(r.home, ['queue', '--all'])).map((j) => [j.id, j]));
}

/** The model's promises against the daemon's answer; a job the model calls active may have completed since. */
async function agree(m: Model, r: Real): Promise<void> {
  const jobs = await queue(r);
  for (const [, job] of m.jobs) {
    const actual = jobs.get(job.id);
    expect(actual, `job ${job.id} is missing from the queue`).toBeDefined();
    const state = actual!.state;
    if (job.expected === 'active') {
      expect(ACTIVE.has(state), `job ${job.id} should be going, but is ${state}: ${actual!.error}`).toBe(true);
      if (state === 'completed') job.expected = 'completed';
    } else {
      expect(state, `job ${job.id}`).toBe(job.expected);
    }
  }
}

/** Runs a control and learns from a refusal: a job that completed (or is being placed) meanwhile cannot be paused. */
async function control(m: Model, r: Real, file: number, verb: string, then: Expected): Promise<void> {
  const job = m.jobs.get(file)!;
  const answer = await cli(r.home, [verb, job.id, '--json']);
  if (answer.code === 0) {
    job.expected = then;
    const state = (JSON.parse(answer.stdout) as JobJson).state;
    if (then === 'paused' || then === 'cancelled') expect(state).toBe(then);
    return;
  }
  expect(answer.code, answer.stderr).toBe(2);
  expect(answer.stderr).toMatch(/it is completed|being placed/);
  job.expected = 'completed';
}

class Add implements fc.AsyncCommand<Model, Real> {
  constructor(readonly file: number) {}
  check = (m: Readonly<Model>) => !m.jobs.has(this.file);
  async run(m: Model, r: Real) {
    const job = await cliJson<JobJson>(r.home, ['add', '--version', String(MODELS[this.file]!.versions[0]!.id)]);
    m.jobs.set(this.file, { id: job.id, expected: 'active' });
    await agree(m, r);
  }
  toString = () => `add(${this.file})`;
}

type Verb = 'pause' | 'resume' | 'cancel' | 'retry';
const VERBS_FOR: Record<Expected, readonly Verb[]> = {
  active: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  cancelled: ['retry'],
  completed: [],
};

/** A control on the k-th job, with the n-th verb that makes sense for what the user was told about it. */
class Control implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number, readonly n: number) {}
  #pick(m: Readonly<Model>): { file: number; verb: Verb } | undefined {
    const files = [...m.jobs.keys()];
    if (files.length === 0) return undefined;
    const file = files[this.k % files.length]!;
    const verbs = VERBS_FOR[m.jobs.get(file)!.expected];
    return verbs.length === 0 ? undefined : { file, verb: verbs[this.n % verbs.length]! };
  }
  check = (m: Readonly<Model>) => this.#pick(m) !== undefined;
  async run(m: Model, r: Real) {
    const { file, verb } = this.#pick(m)!;
    this.done = `${verb}(${file})`;
    await control(m, r, file, verb, verb === 'pause' ? 'paused' : verb === 'cancel' ? 'cancelled' : 'active');
    await agree(m, r);
  }
  done = '';
  toString = () => this.done || `control(${this.k}, ${this.n})`;
}

class Kill9 implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    r.daemon.child.kill('SIGKILL');
    await r.daemon.exited;
    r.daemon = await spawnDaemon(r.home);
    await agree(m, r);
  }
  toString = () => 'kill -9 and restart';
}

class Fault implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: 'drop' | '503' | 'cut') {}
  check = () => true;
  async run(m: Model, r: Real) {
    if (this.kind === 'drop') r.sim.addFault({ kind: 'drop', afterBytes: 512 * 1024, times: 3 });
    if (this.kind === '503') r.sim.addFault({ kind: 'status', status: 503, target: 'storage', times: 4 });
    if (this.kind === 'cut') await r.sim.outage('storage', 300);
    await agree(m, r);
  }
  toString = () => `fault(${this.kind})`;
}

const file = fc.integer({ min: 0, max: MODELS.length - 1 });
const add = file.map((f) => new Add(f));
const controlArb = fc.tuple(fc.nat(5), fc.nat(3)).map(([k, n]) => new Control(k, n));
// Adds and controls listed more than once: most steps act on jobs, and every run adds some.
const commands = fc.commands(
  [
    add,
    add,
    controlArb,
    controlArb,
    controlArb,
    fc.constant(new Kill9()),
    fc.constantFrom('drop', '503', 'cut').map((k) => new Fault(k as 'drop' | '503' | 'cut')),
  ],
  { maxCommands: 16 },
);

describe('the job lifecycle as a model (spawned daemon, simulator, kill -9, faults)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ world: { models: MODELS } });
  });
  afterAll(async () => sim?.close());

  it('agrees with the model after every step, and every job not cancelled completes intact', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        sim.clearFaults();
        // Slow enough that controls meet transfers in flight; lifted at the end.
        sim.addFault({ kind: 'throttle', bytesPerSecond: 1_500_000, times: Infinity });
        const home = daemonHome({ CIVITAI_BASE_URL: sim.apiUrl, COMFYUI_DL_CONCURRENCY: '2' });
        const real: Real = { sim, home, daemon: await spawnDaemon(home) };
        const model: Model = { jobs: new Map() };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          sim.clearFaults();
          for (const job of model.jobs.values()) {
            if (job.expected === 'paused') await control(model, real, [...model.jobs].find(([, j]) => j === job)![0], 'resume', 'active');
          }
          const ended = await waitFor(async () => {
            const jobs = await queue(real);
            const all = [...model.jobs.values()].map((j) => jobs.get(j.id)!);
            return all.every((j) => ['completed', 'cancelled', 'failed'].includes(j.state)) ? all : undefined;
          }, 180_000, 300);
          const placed: string[] = [];
          for (const j of ended) {
            const expected = [...model.jobs.values()].find((x) => x.id === j.id)!.expected;
            if (expected === 'cancelled') {
              expect(j.state).toBe('cancelled');
              continue;
            }
            expect(j.state, j.error ?? '').toBe('completed');
            expect(sha256(readFileSync(join(home.modelsDir, j.path!)))).toBe(sha256(sim.fileBytes(j.fileId!)));
            placed.push(j.path!);
          }
          // Nothing else of a model file's kind reached the models folder: no corrupt or half file was placed.
          const models = filesUnder(home.modelsDir).filter((f) => f.endsWith('.safetensors') && !f.startsWith('.comfyui-dl/'));
          expect(models.sort()).toEqual(placed.sort());
          const cpu = cpuSeconds(real.daemon.child.pid!);
          await new Promise((resolve) => setTimeout(resolve, 1500));
          expect(cpuSeconds(real.daemon.child.pid!) - cpu).toBeLessThan(0.3);
        } finally {
          await real.daemon.stop('SIGKILL');
          home.cleanup();
        }
      }),
      { numRuns: 4, endOnFailure: true },
    );
  });
});
