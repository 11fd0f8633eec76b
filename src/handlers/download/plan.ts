import type { EventDataOf } from '../../events/index.js';
import { planSegments } from '../../transfer/index.js';
import type { RemoteFile } from './probe.js';

/** Segments are worth their connection only above this size; smaller files go over one connection. */
const MIN_SEGMENT_BYTES = 8 * 1024 * 1024;

/** A server that ignores Range gets the whole file in one piece: segments it would answer with 200 are waste. */
export function planFreshTransfer(jobId: string, remote: RemoteFile, connections: number): EventDataOf<'download.transfer_planned'> {
  const segments = remote.acceptsRanges
    ? planSegments(remote.totalBytes, connections, MIN_SEGMENT_BYTES)
    : [{ index: 0, start: 0, end: remote.totalBytes }];
  return {
    totalBytes: remote.totalBytes,
    segments: segments.map(({ index, start, end }) => ({ index, start, end })),
    etag: remote.etag,
    lastModified: remote.lastModified,
    partName: `${jobId}.part`,
    rangesIgnored: !remote.acceptsRanges,
  };
}
