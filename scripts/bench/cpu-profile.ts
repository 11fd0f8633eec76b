// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self time.
import { z } from 'zod';

const CpuProfile = z.object({
  nodes: z.array(
    z.object({
      id: z.number().int(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number().int() }),
    }),
  ),
  samples: z.array(z.number().int()),
  /** Microseconds since the previous sample. */
  timeDeltas: z.array(z.number()),
});

export interface Frame {
  /** Function name with a short location, or a V8 pseudo-frame such as (garbage collector). */
  readonly frame: string;
  readonly selfMs: number;
}

export interface ProfileSummary {
  readonly sampledMs: number;
  /** Every frame with self time, most expensive first. */
  readonly frames: readonly Frame[];
}

/** The last two path segments are enough to find a frame (node:internal/..., undici/lib/...). */
function shortLocation(url: string, lineNumber: number): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '').split('/');
  return ` ${path.slice(-2).join('/')}:${lineNumber + 1}`;
}

function frameName(callFrame: z.infer<typeof CpuProfile>['nodes'][number]['callFrame']): string {
  const name = callFrame.functionName === '' ? '(anonymous)' : callFrame.functionName;
  return `${name}${shortLocation(callFrame.url, callFrame.lineNumber)}`;
}

export function summariseProfile(json: unknown): ProfileSummary {
  const profile = CpuProfile.parse(json);
  const names = new Map(profile.nodes.map((n) => [n.id, frameName(n.callFrame)]));
  const selfUs = new Map<string, number>();
  let total = 0;
  // Sample i ran for the time until sample i + 1 was taken.
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const name = names.get(id) ?? `(node ${id})`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
    total += us;
  });
  const frames = [...selfUs].map(([frame, us]) => ({ frame, selfMs: us / 1000 })).sort((a, b) => b.selfMs - a.selfMs);
  return { sampledMs: total / 1000, frames };
}
