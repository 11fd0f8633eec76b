import type { StoredEvent } from '../events/envelope.js';
import type { EventJson } from '../ipc/protocol.js';

/** The public event shape of `history` and `watch` (ARCHITECTURE.md §5). */
export function toEventJson(e: StoredEvent): EventJson {
  return {
    position: e.position,
    streamId: e.streamId,
    type: e.type,
    version: e.version,
    data: e.data as Record<string, unknown>,
    metadata: e.metadata as Record<string, unknown>,
    recordedAt: e.recordedAt,
  };
}
