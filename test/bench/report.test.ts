import { describe, expect, it } from 'vitest';
import { goalMet, goalRows, outlierLines, roundRatios, sectionRows, worstRoundLines, type SectionResult } from '../../scripts/bench/report.js';

const s = (seconds: number, cpuSeconds = 1, serverCpuSeconds?: number) => ({ ms: seconds * 1000, cpuSeconds, serverCpuSeconds });

const download: SectionResult = {
  title: 'download',
  bytes: 2e9,
  ours: 'ours',
  ratioKind: 'time-at-most',
  cases: [
    { name: 'ours', command: 'comfyui-dl add', samples: [s(2, 4, 1), s(3, 4, 1), s(10, 4, 1)] },
    { name: 'peer', command: 'curl', samples: [s(4, 2, 1), s(2, 2, 1), s(5, 2, 1)], goal: { kind: 'time-at-most', ratio: 0.8 } },
    { name: 'missing', command: 'aria2c (skipped: aria2c not found)', samples: [], goal: { kind: 'time-at-most', ratio: 1 } },
  ],
};

describe('roundRatios', () => {
  it('divides our time by the peer time of the same round and takes the median', () => {
    expect(roundRatios([s(2), s(3), s(10)], [s(4), s(2), s(5)], 'time-at-most')).toEqual({ median: 1.5, min: 0.5, max: 2 });
  });

  it('inverts for throughput: ours faster gives a ratio above 1', () => {
    expect(roundRatios([s(1)], [s(2)], 'throughput-at-least')?.median).toBe(2);
  });

  it('has nothing to say without a common round', () => {
    expect(roundRatios([s(1)], [], 'time-at-most')).toBeUndefined();
  });
});

describe('goalMet', () => {
  it('accepts the bound itself and rejects beyond it, in the goal direction', () => {
    expect(goalMet({ kind: 'time-at-most', ratio: 0.8 }, 0.8)).toBe(true);
    expect(goalMet({ kind: 'time-at-most', ratio: 0.8 }, 0.81)).toBe(false);
    expect(goalMet({ kind: 'throughput-at-least', ratio: 0.9 }, 0.89)).toBe(false);
    expect(goalMet({ kind: 'throughput-at-least', ratio: 0.9 }, 1.2)).toBe(true);
  });
});

describe('sectionRows', () => {
  const [header, ours, peer, missing] = sectionRows(download);

  it('shows throughput, CPU and server CPU per GB from the medians', () => {
    expect(header).toContain('server CPU s per GB');
    expect(ours?.slice(2, 7)).toEqual(['3.00', '2.00–10.00', '667', '2.00', '0.50']);
  });

  it('gives each peer its round-by-round ratio, goal and verdict', () => {
    expect(peer?.slice(-3)).toEqual(['1.50 (0.50–2.00)', '≤ 0.80', 'no']);
  });

  it('keeps a skipped case visible as not run', () => {
    expect(missing?.[2]).toBe('not run');
  });

  it('leaves the server column out when no sample has a server', () => {
    const hashing: SectionResult = { ...download, cases: [{ name: 'ours', command: 'x', samples: [s(1)] }] };
    expect(sectionRows(hashing)[0]).not.toContain('server CPU s per GB');
  });
});

describe('outlierLines and goalRows', () => {
  it('names the runs that took more than twice their case median', () => {
    expect(outlierLines(download)).toEqual(['round 3, ours: 10.00 s against a median of 3.00 s']);
  });

  it('lists every goal, measured or not', () => {
    const rows = goalRows([download]);
    expect(rows.slice(1).map((r) => r.slice(2))).toEqual([
      ['≤ 0.80', '1.50 (0.50–2.00)', 'no'],
      ['≤ 1.00', 'not measured', '—'],
    ]);
  });

  it('adds the cross-checks, labelled as information', () => {
    const rows = goalRows([{ ...download, crossChecks: [{ ours: 'peer', peer: 'ours', goal: { kind: 'time-at-most', ratio: 1 }, informational: true }] }]);
    expect(rows.at(-1)?.slice(1)).toEqual(['peer vs ours (time), for information', '≤ 1.00', '0.67 (0.50–2.00)', 'yes']);
  });

  it('holds CPU to its own goal: our CPU seconds over the peer’s, round by round', () => {
    const rows = goalRows([{ ...download, crossChecks: [{ ours: 'ours', peer: 'peer', goal: { kind: 'cpu-at-most', ratio: 1.3 } }] }]);
    expect(rows.at(-1)?.slice(1)).toEqual(['ours vs peer (CPU)', '≤ 1.30', '2.00 (2.00–2.00)', 'no']);
  });

  it('names each case’s slowest round with what its records say', () => {
    const noted: SectionResult = { ...download, cases: [{ name: 'ours', command: 'x', samples: [s(2), { ...s(9), note: '3 reconnects (3 stall)' }, s(3)] }] };
    expect(worstRoundLines(noted)).toEqual(['ours: round 2, 9.00 s = 3.00× the median; 3 reconnects (3 stall)']);
  });
});
