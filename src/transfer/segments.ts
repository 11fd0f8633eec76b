import { z } from 'zod';

/**
 * A byte range [start, end) of the file fetched over one connection; `done` bytes from `start` are durable
 * on disk. This is the resume state the caller rebuilds from its own records.
 */
export const segmentSchema = z.object({
  index: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
});
export type Segment = z.infer<typeof segmentSchema>;

// Page-aligned boundaries keep every segment's writes from sharing a page with its neighbour's.
const ALIGN = 4096;

/** Segments larger than this are split further: see planSegments. */
export const MAX_SEGMENT_BYTES = 32 * 1024 * 1024;

/**
 * Splits a file into segments of at least `minSegmentBytes` (one segment when the file is small): at least
 * `connections` of them when the file is large enough, and none larger than MAX_SEGMENT_BYTES. Connections take
 * segments in file order, so the written prefix, which the in-order hasher follows, stays a few segments behind
 * the download instead of waiting for the first of N long segments; small segments also let a fast
 * connection take over work a slow one would have held.
 */
export function planSegments(totalBytes: number, connections: number, minSegmentBytes: number): Segment[] {
  const bySize = Math.ceil(totalBytes / Math.max(MAX_SEGMENT_BYTES, minSegmentBytes));
  const byConnections = Math.min(Math.max(1, Math.floor(connections)), Math.floor(totalBytes / Math.max(1, minSegmentBytes)));
  const count = Math.max(1, bySize, byConnections);
  const align = totalBytes / count >= ALIGN ? ALIGN : 1;
  const bounds = Array.from({ length: count + 1 }, (_, i) =>
    i === count ? totalBytes : Math.floor((i * totalBytes) / count / align) * align,
  );
  return bounds.slice(0, count).map((start, index) => ({ index, start, end: bounds[index + 1] ?? totalBytes, done: 0 }));
}

/** Why a set of segments cannot describe a file of totalBytes, or undefined when it can. */
export function segmentLayoutProblem(totalBytes: number, segments: readonly Segment[]): string | undefined {
  if (segments.length === 0) return 'no segments';
  const indexes = new Set(segments.map((s) => s.index));
  if (indexes.size !== segments.length) return 'segment indexes repeat';
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  let expectedStart = 0;
  for (const segment of sorted) {
    if (segment.start !== expectedStart) return `segment ${segment.index} starts at ${segment.start}, expected ${expectedStart}`;
    if (segment.end < segment.start) return `segment ${segment.index} ends before it starts`;
    if (segment.done > segment.end - segment.start) return `segment ${segment.index} has more bytes done than it holds`;
    expectedStart = segment.end;
  }
  if (expectedStart !== totalBytes) return `segments cover ${expectedStart} bytes of ${totalBytes}`;
  return undefined;
}

export const remainingBytes = (segments: readonly Segment[]): number =>
  segments.reduce((sum, s) => sum + (s.end - s.start - s.done), 0);

/** End of the furthest durable byte: a part file shorter than this lost data the records count as saved. */
export const durableExtent = (segments: readonly Segment[]): number =>
  segments.reduce((max, s) => (s.done > 0 ? Math.max(max, s.start + s.done) : max), 0);

/** A segment a connection is working on: `reach` is the first byte its connection has not received yet. */
export interface SplitCandidate {
  readonly index: number;
  readonly end: number;
  readonly reach: number;
}

/**
 * Work stealing: a connection that found no segment left takes the second half of the one with the most bytes still
 * to come, so the tail of a file is never one slow connection. Halves smaller than `minPieceBytes` are not worth a
 * new request. The cut is page-aligned and past everything the current connection has received.
 */
export function chooseSplit(candidates: readonly SplitCandidate[], minPieceBytes: number): { index: number; at: number } | undefined {
  let best: SplitCandidate | undefined;
  for (const c of candidates) if (best === undefined || c.end - c.reach > best.end - best.reach) best = c;
  if (best === undefined) return undefined;
  const left = best.end - best.reach;
  if (left < 2 * Math.max(1, minPieceBytes)) return undefined;
  const at = Math.ceil((best.reach + left / 2) / ALIGN) * ALIGN;
  if (at - best.reach < minPieceBytes || best.end - at < minPieceBytes) return undefined;
  return { index: best.index, at };
}
