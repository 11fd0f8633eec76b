import type { StoredEvent } from './envelope.js';
import { downloadEvents } from './download.events.js';
import { createRegistry, type EventDefinition } from './registry.js';
import { libraryEvents } from './library.events.js';
import { routingEvents } from './routing.events.js';
import { settingsEvents } from './settings.events.js';
import type { z } from 'zod';

const all = [...downloadEvents, ...routingEvents, ...settingsEvents, ...libraryEvents] as const;

type Definitions = (typeof all)[number];
export type EventType = Definitions['type'];
export type EventDataOf<T extends EventType> = z.infer<Extract<Definitions, { type: T }>['schema']>;
/** A decoded event as a discriminated union on `type`, for exhaustive switches in deciders and projections. */
export type DomainEvent = { [T in EventType]: { readonly type: T; readonly data: EventDataOf<T> } }[EventType];

export const eventRegistry = createRegistry(all as readonly EventDefinition[]);

/** Builds a new event whose data is type-checked against its schema at compile time. */
export function newEvent<T extends EventType>(eventId: string, type: T, data: EventDataOf<T>) {
  return { eventId, type, data } as const;
}

/** A stored event narrowed by its type: what deciders and projections switch on. */
export type DomainStoredEvent = {
  [T in EventType]: StoredEvent<T, EventDataOf<T>>;
}[EventType];
