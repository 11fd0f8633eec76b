import type { EventDataOf } from '../../events/index.js';
import { planSegments } from '../../transfer/index.js';
import type { RemoteFile } from './probe.js';

/** Segments are worth their connection only above this size; smaller files go over one connection. */
const MIN_SEGMENT_BYTES = 8 * 1024 * 1024;

export function planFreshTransfer(jobId: string, remote: RemoteFile, connections: number): EventDataOf<'download.transfer_planned'> {
  const segments = planSegments(remote.totalBytes, remote.acceptsRanges ? connections : 1, MIN_SEGMENT_BYTES);
  return {
    totalBytes: remote.totalBytes,
    segments: segments.map(({ index, start, end }) => ({ index, start, end })),
    etag: remote.etag,
    lastModified: remote.lastModified,
    partName: `${jobId}.part`,
  };
}
