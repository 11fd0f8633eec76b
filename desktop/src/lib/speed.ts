/**
 * Transfer speed from progress samples: bytes over the last few seconds, so a stall shows within that window and
 * a burst does not make the estimate jump. Progress arrives a few times a second per job.
 */
export interface Sample {
  readonly at: number;
  readonly bytes: number;
}

export const SPEED_WINDOW_MS = 4000;

/** Adds a sample and drops those that fell out of the window (keeping one before it as the baseline). */
export function addSample(samples: readonly Sample[], sample: Sample, windowMs = SPEED_WINDOW_MS): Sample[] {
  // A restart from zero (the server would not resume) starts the measurement over.
  const kept = samples.length > 0 && sample.bytes < samples[samples.length - 1]!.bytes ? [] : [...samples];
  kept.push(sample);
  const cutoff = sample.at - windowMs;
  let first = 0;
  while (first < kept.length - 2 && kept[first + 1]!.at <= cutoff) first += 1;
  return kept.slice(first);
}

/** Bytes per second over the samples, or null until two samples span some time. */
export function speedOf(samples: readonly Sample[]): number | null {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined || last.at - first.at < 250) return null;
  return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
}

export function etaSeconds(bytesDone: number, bytesTotal: number | null, speed: number | null): number | null {
  if (bytesTotal === null || speed === null || speed <= 0) return null;
  return Math.max(0, bytesTotal - bytesDone) / speed;
}
