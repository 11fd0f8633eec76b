import { z } from 'zod';

export const Actor = z.enum(['cli', 'desktop', 'daemon', 'scan', 'test']);
export type Actor = z.infer<typeof Actor>;

/** Who asked and why: lets `history` answer "where did this come from" without guessing. */
export const EventMetadata = z.object({
  actor: Actor,
  correlationId: z.string().max(200).optional(),
  causationPosition: z.number().int().nonnegative().optional(),
  /** The host whose daemon recorded the event, in a log several hosts share (absent in a single host's log). */
  host: z.string().max(63).optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

/** An event about to be appended: `eventId` makes a retried append a no-op. */
export interface NewEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
}

/** An event as read back from the log, already upcast to its type's current version. */
export interface StoredEvent<TType extends string = string, TData = unknown> {
  readonly position: number;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly eventId: string;
  readonly type: TType;
  readonly version: number;
  readonly data: TData;
  readonly metadata: EventMetadata;
  readonly recordedAt: string;
}

/** `download-01J…` → `download`: the category is everything before the first dash (Message DB convention). */
export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}
