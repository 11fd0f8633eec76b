// Turns the samples of one interleaved section into markdown rows: medians, throughput, CPU per GB, and the
// ratio of our case to each peer taken round by round (the cases of one round ran back to back, so host noise
// that moves a whole round cancels out of the ratio).
import { fmt, median } from './measure.js';
import type { Sample } from './proc.js';

/**
 * `time-at-most`: our time ÷ the peer's time must not exceed `ratio`.
 * `throughput-at-least`: our throughput ÷ the peer's must reach `ratio`.
 * `cpu-at-most`: our CPU seconds ÷ the peer's must not exceed `ratio`.
 */
export type Goal = { readonly kind: 'time-at-most' | 'throughput-at-least' | 'cpu-at-most'; readonly ratio: number };

export interface CaseResult {
  readonly name: string;
  readonly command: string;
  /** One per round, in round order; a case that could not run has none. */
  readonly samples: readonly Sample[];
  /** Compared with our case against this goal; informational rows have none. */
  readonly goal?: Goal;
}

export interface SectionResult {
  readonly title: string;
  readonly bytes: number;
  /** Which case is ours; every other case's ratio is ours ÷ it. */
  readonly ours: string;
  /** How ratios are taken in this section, whether or not a row has a goal. */
  readonly ratioKind: Exclude<Goal['kind'], 'cpu-at-most'>;
  readonly cases: readonly CaseResult[];
  /** Further pairs held to a goal for information, e.g. another setting of ours against the same peer. */
  readonly crossChecks?: readonly CrossCheck[];
}

export interface CrossCheck {
  readonly ours: string;
  readonly peer: string;
  readonly goal: Goal;
  /** Shown for information (another setting of ours), not one of the goals. */
  readonly informational?: boolean;
}

export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Our case against a peer, one ratio per round both ran, or undefined when they share no round. */
export function roundRatios(ours: readonly Sample[], peer: readonly Sample[], kind: Goal['kind']): RatioSummary | undefined {
  const rounds = Math.min(ours.length, peer.length);
  if (rounds === 0) return undefined;
  const ratios = Array.from({ length: rounds }, (_, i) => {
    if (kind === 'cpu-at-most') return ours[i]!.cpuSeconds / peer[i]!.cpuSeconds;
    const [a, b] = [ours[i]!.ms, peer[i]!.ms];
    return kind === 'time-at-most' ? a / b : b / a;
  });
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export function goalMet(goal: Goal, ratio: number): boolean {
  return goal.kind === 'throughput-at-least' ? ratio >= goal.ratio : ratio <= goal.ratio;
}

export const describeGoal = (goal: Goal): string => `${goal.kind === 'throughput-at-least' ? '≥' : '≤'} ${fmt(goal.ratio, 2)}`;

const measureOf = (kind: Goal['kind']): string => ({ 'time-at-most': 'time', 'throughput-at-least': 'throughput', 'cpu-at-most': 'CPU' })[kind];

const ratioText = (r: RatioSummary): string => `${fmt(r.median, 2)} (${fmt(r.min, 2)}–${fmt(r.max, 2)})`;

export function sectionRows(section: SectionResult): string[][] {
  const ours = section.cases.find((c) => c.name === section.ours);
  const ratioHeader = section.ratioKind === 'time-at-most' ? 'ours ÷ this, time' : 'ours ÷ this, throughput';
  const gb = section.bytes / 1e9;
  const withServer = section.cases.some((c) => c.samples.some((s) => s.serverCpuSeconds !== undefined));
  const serverCpu = (c: CaseResult): string[] => (withServer ? [fmt(median(c.samples.map((s) => s.serverCpuSeconds ?? 0)) / gb, 2)] : []);
  const header = ['case', 'command', 'median s', 'min–max s', 'MB/s', 'CPU s per GB', ...(withServer ? ['server CPU s per GB'] : []), ratioHeader, 'goal', 'met'];
  const rows = section.cases.map((c) => {
    if (c.samples.length === 0) return [c.name, c.command, 'not run', '', '', '', ...(withServer ? [''] : []), '', c.goal ? describeGoal(c.goal) : '', ''];
    const seconds = c.samples.map((s) => s.ms / 1000);
    const mid = median(seconds);
    const ratio = c === ours || ours === undefined ? undefined : roundRatios(ours.samples, c.samples, section.ratioKind);
    return [
      c.name,
      c.command,
      fmt(mid, 2),
      `${fmt(Math.min(...seconds), 2)}–${fmt(Math.max(...seconds), 2)}`,
      fmt(section.bytes / 1e6 / mid, 0),
      fmt(median(c.samples.map((s) => s.cpuSeconds)) / gb, 2),
      ...serverCpu(c),
      ratio === undefined ? '—' : ratioText(ratio),
      c.goal ? describeGoal(c.goal) : 'info',
      c.goal && ratio ? (goalMet(c.goal, ratio.median) ? 'yes' : 'no') : '',
    ];
  });
  return [header, ...rows];
}

const why = (s: { readonly note?: string }): string => (s.note === undefined ? '' : `; ${s.note}`);

/** Runs that took more than twice their case's median: worth a look (a stall, a retry, a noisy neighbour). */
export function outlierLines(section: SectionResult): string[] {
  return section.cases.flatMap((c) => {
    const mid = median(c.samples.map((s) => s.ms));
    return c.samples.flatMap((s, round) =>
      s.ms > 2 * mid ? [`round ${round + 1}, ${c.name}: ${fmt(s.ms / 1000, 2)} s against a median of ${fmt(mid / 1000, 2)} s${why(s)}`] : [],
    );
  });
}

/** Per case, its slowest round against its median, with what the run's records say about it. */
export function worstRoundLines(section: SectionResult): string[] {
  return section.cases.flatMap((c) => {
    if (c.samples.length === 0) return [];
    const mid = median(c.samples.map((s) => s.ms));
    const worst = c.samples.reduce((a, b) => (b.ms > a.ms ? b : a));
    const round = c.samples.indexOf(worst) + 1;
    return [`${c.name}: round ${round}, ${fmt(worst.ms / 1000, 2)} s = ${fmt(worst.ms / mid, 2)}× the median${why(worst)}`];
  });
}

/** One line per goal across sections: the verdicts at a glance. */
export function goalRows(sections: readonly SectionResult[]): string[][] {
  const rows: string[][] = [];
  const row = (section: SectionResult, ours: string, peer: string, goal: Goal, label = ''): string[] => {
    const samplesOf = (name: string) => section.cases.find((c) => c.name === name)?.samples ?? [];
    const ratio = roundRatios(samplesOf(ours), samplesOf(peer), goal.kind);
    const what = `${ours} vs ${peer} (${measureOf(goal.kind)})${label}`;
    return [section.title, what, describeGoal(goal), ratio ? ratioText(ratio) : 'not measured', ratio ? (goalMet(goal, ratio.median) ? 'yes' : 'no') : '—'];
  };
  for (const section of sections) {
    for (const c of section.cases) if (c.goal !== undefined) rows.push(row(section, section.ours, c.name, c.goal));
    for (const check of section.crossChecks ?? []) rows.push(row(section, check.ours, check.peer, check.goal, check.informational === true ? ', for information' : ''));
  }
  return [['section', 'comparison', 'goal', 'ratio, median of rounds (min–max)', 'met'], ...rows];
}
