// Runs the cases of a section interleaved, A B C A B C …, so that slow phases of the host hit every case alike.
import type { Sample } from './proc.js';

export interface BenchCase {
  readonly name: string;
  /** The command as a reader would type it (for the table). */
  readonly command: string;
  /** One measured run. Setup and checks may happen inside, outside the timed part: the Sample is the measure. */
  run(): Promise<Sample>;
}

export interface Interleaved {
  /** samples[i][r]: case i in round r; every case has the same number of rounds. */
  readonly samples: Sample[][];
  /** Why the section stopped early, if it did; the unfinished round is dropped. */
  readonly failure?: string;
}

export async function interleave(cases: readonly BenchCase[], rounds: number, onRun: (c: BenchCase, round: number, s: Sample) => void): Promise<Interleaved> {
  const samples: Sample[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const thisRound: Sample[] = [];
    for (const c of cases) {
      try {
        const s = await c.run();
        onRun(c, round, s);
        thisRound.push(s);
      } catch (error) {
        return { samples, failure: `${c.name}, round ${round + 1}: ${(error as Error).message}` };
      }
    }
    thisRound.forEach((s, i) => samples[i]!.push(s));
  }
  return { samples };
}
