import { err, ok, type Result } from 'neverthrow';
import { EventMetadata, type StoredEvent } from '../events/envelope.js';
import type { DomainStoredEvent } from '../events/index.js';
import type { EventRegistry } from '../events/registry.js';
import type { Projection, ViewWriter } from '../projections/projection.js';
import type { AppendError, AppendRequest, ReadFilter } from './store-contract.js';
import type { EventRowTable } from './schema.js';

/** What both back ends share: validation before the transaction, rows to events, the fold, the refusals. */

export type PreparedRequest = AppendRequest & { readonly encoded: readonly { type: string; version: number; data: string }[] };

/** Checks metadata and every event against its schema before anything is written. */
export function prepareAppend(registry: EventRegistry, requests: readonly AppendRequest[]): Result<PreparedRequest[], AppendError> {
  const prepared: PreparedRequest[] = [];
  for (const r of requests) {
    const meta = EventMetadata.safeParse(r.metadata);
    if (!meta.success) return err({ code: 'INVALID_EVENT', message: `invalid event metadata: ${meta.error.issues[0]?.message}` });
    const encoded = [];
    for (const e of r.events) {
      const enc = registry.encode(e.type, e.data);
      if (enc.isErr()) return err({ code: 'INVALID_EVENT', message: enc.error.message });
      encoded.push({ type: e.type, version: enc.value.version, data: JSON.stringify(enc.value.data) });
    }
    prepared.push({ ...r, encoded });
  }
  return ok(prepared);
}

export function rowToStored(registry: EventRegistry): (row: EventRowTable) => StoredEvent {
  return (row) => ({
    position: row.global_position,
    streamId: row.stream_id,
    streamPosition: row.stream_position,
    eventId: row.event_id,
    type: row.type,
    version: registry.definitions.get(row.type)?.version ?? row.schema_version,
    data: registry.upcastTrusted(row.type, row.schema_version, JSON.parse(row.data)),
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recordedAt: row.recorded_at,
  });
}

export function folder(projections: readonly Projection[]) {
  return (view: ViewWriter, event: StoredEvent, only: readonly Projection[] = projections): void => {
    for (const p of only) if (p.handles.has(event.type)) p.apply(view, event as DomainStoredEvent);
  };
}

/**
 * A retried append, or a fact keyed by a natural id (`identified:<sha256>`) told again: the first telling stands
 * and is acknowledged without writing. An id never names events of two streams or two types: that would silently
 * drop a different event, so it is refused as the caller's bug. Returns the stored rows, or undefined when the
 * request's first id is new.
 */
export function alreadyStored(r: PreparedRequest, byId: (eventId: string) => EventRowTable | undefined): EventRowTable[] | undefined {
  const first = r.events[0];
  if (!first || !byId(first.eventId)) return undefined;
  return r.encoded.map((e, i) => {
    const eventId = r.events[i]!.eventId;
    const row = byId(eventId);
    if (!row || row.stream_id !== r.streamId || row.type !== e.type) throw new ReusedIdSignal(eventId);
    return row;
  });
}

export function checkExpected(r: AppendRequest, actual: number): void {
  if (r.expectedVersion !== undefined && r.expectedVersion !== 'any' && r.expectedVersion !== actual) {
    throw new ConflictSignal(r.streamId, r.expectedVersion, actual);
  }
}

/** The refusal a failed transaction stands for; `errno` is the database's own code. */
export function appendFailure(e: unknown, message: (e: Error) => string = (x) => x.message): AppendError {
  if (e instanceof ConflictSignal) {
    return {
      code: 'CONFLICT', streamId: e.streamId, expected: e.expected, actual: e.actual,
      message: `stream ${e.streamId} is at version ${e.actual}, expected ${e.expected}: someone else changed it first; reload and try again`,
    };
  }
  if (e instanceof ReusedIdSignal) return { code: 'INVALID_EVENT', message: e.message };
  return { code: 'STORAGE', message: `could not write the event log: ${message(e as Error)}`, errno: (e as { code?: string }).code ?? null };
}

/** The WHERE clause of `readAll`, with the database's placeholder for the n-th parameter. */
export function readAllQuery(o: { after: number; before?: number; limit: number } & ReadFilter, placeholder: (n: number) => string): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (...p: string[]) => string, ...values: unknown[]): void => {
    where.push(clause(...values.map((v) => (params.push(v), placeholder(params.length)))));
  };
  add((p) => `global_position > ${p}`, o.after);
  if (o.before !== undefined) add((p) => `global_position < ${p}`, o.before);
  if (o.streamId) add((p) => `stream_id = ${p}`, o.streamId);
  if (o.category) add((p) => `category = ${p}`, o.category);
  if (o.categories && o.categories.length > 0) add((...p) => `category IN (${p.join(', ')})`, ...o.categories);
  if (o.types && o.types.length > 0) add((...p) => `type IN (${p.join(', ')})`, ...o.types);
  if (o.excludeTypes && o.excludeTypes.length > 0) add((...p) => `type NOT IN (${p.join(', ')})`, ...o.excludeTypes);
  params.push(o.limit);
  const order = o.before === undefined ? 'ASC' : 'DESC';
  return { sql: `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY global_position ${order} LIMIT ${placeholder(params.length)}`, params };
}

/** Projections whose checkpoint is behind the head or of another version. */
export function staleProjections(projections: readonly Projection[], head: number, marks: readonly { name: string; position: number; version: number }[]): Projection[] {
  const byName = new Map(marks.map((c) => [c.name, c]));
  return projections.filter((p) => {
    const mark = byName.get(p.name);
    return head > 0 && (!mark || mark.version !== p.version || mark.position < head);
  });
}

class ReusedIdSignal extends Error {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} already names another event: ids must be unique per event`);
  }
}

class ConflictSignal extends Error {
  constructor(readonly streamId: string, readonly expected: number, readonly actual: number) {
    super('conflict');
  }
}
