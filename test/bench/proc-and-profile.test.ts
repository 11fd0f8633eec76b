import { describe, expect, it } from 'vitest';
import { summariseProfile } from '../../scripts/bench/cpu-profile.js';
import { processCpuSeconds, runMeasured } from '../../scripts/bench/proc.js';

describe('runMeasured', () => {
  it("counts the CPU of a shell's children, not only the shell's", async () => {
    const busy = 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done';
    const result = await runMeasured('sh', ['-c', `sh -c '${busy}'; echo done`], { timeoutMs: 20_000 });
    expect(result.stdout.trim()).toBe('done');
    expect(result.cpuSeconds).toBeGreaterThan(0.05);
    expect(result.cpuSeconds).toBeLessThan((result.ms / 1000) * 2 + 0.05);
  });

  it('fails on a non-zero exit with what the command said', async () => {
    await expect(runMeasured('sh', ['-c', 'echo broken >&2; exit 3'], { timeoutMs: 5000 })).rejects.toThrow(/failed \(3\)[\s\S]*broken/);
  });

  it('kills a command that outlives its timeout, children included', async () => {
    const t0 = Date.now();
    await expect(runMeasured('sh', ['-c', 'sleep 30; echo never'], { timeoutMs: 200 })).rejects.toThrow(/timed out/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('processCpuSeconds', () => {
  it('reads a live process from /proc', () => {
    const spin = Date.now() + 50;
    while (Date.now() < spin);
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
  });
});

describe('summariseProfile', () => {
  it('ranks frames by self time, a sample lasting until the next one', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'receive', url: 'file:///app/dist/src/transfer/attempt.js', lineNumber: 9 } },
        { id: 3, callFrame: { functionName: '', url: 'node:internal/streams/readable', lineNumber: 0 } },
        { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      ],
      samples: [2, 3, 2, 4],
      timeDeltas: [100, 1000, 2000, 4000],
    };
    const summary = summariseProfile(profile);
    expect(summary.sampledMs).toBe(7);
    expect(summary.frames).toEqual([
      { frame: 'receive transfer/attempt.js:10', selfMs: 5 },
      { frame: '(anonymous) streams/readable:1', selfMs: 2 },
      { frame: '(idle)', selfMs: 0 },
    ]);
  });

  it('refuses what is not a V8 profile', () => {
    expect(() => summariseProfile({ nodes: 'x' })).toThrow();
  });
});
