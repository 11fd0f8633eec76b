import { randomUUID } from 'node:crypto';
import { err, ok, type Result } from 'neverthrow';
import type { EventMetadata, StoredEvent } from '../events/envelope.js';
import type { DomainEvent } from '../events/index.js';
import type { AppendError, EventStore } from './event-store.js';

/** The one fold of a stream: its state before any event, and how each event moves it. */
export interface StreamModel<S> {
  readonly initial: S;
  readonly evolve: (state: S, event: DomainEvent) => S;
}

export interface CommandOutcome<S> {
  /** The stream's state after the decision (unchanged when nothing was decided). */
  readonly state: S;
  readonly appended: readonly StoredEvent[];
}

export type CommandError<E> =
  | { readonly kind: 'rejected'; readonly error: E }
  /** The log could not be written (disk full, database busy or gone): nothing was recorded. */
  | { readonly kind: 'storage'; readonly error: AppendError };

export interface StreamCommands {
  /**
   * Reads the stream, folds it, decides in a pure function and appends what was decided with the stream version
   * it was decided at. When someone else appended first, it reads what they wrote and decides again.
   */
  run<S, E>(
    streamId: string,
    model: StreamModel<S>,
    decide: (state: S) => Result<readonly DomainEvent[], E>,
    metadata: EventMetadata,
  ): Promise<Result<CommandOutcome<S>, CommandError<E>>>;
  /** The stream's current state, through the same fold. */
  state<S>(streamId: string, model: StreamModel<S>): Promise<S>;
}

interface Folded<S> {
  state: S;
  version: number;
}

/** Conflicts mean another writer is busy on the same stream; each retry reads what it wrote first. */
const MAX_DECISIONS = 20;
/** A write that failed is tried again with the same event ids, so one that did commit is not written twice. */
const STORAGE_RETRIES_MS = [50, 250];
/** Streams whose folded state is kept; more are folded again from the log when next used. */
const CACHED_STREAMS = 2_000;

export function createStreamCommands(store: EventStore, options: { sleep?: (ms: number) => Promise<void> } = {}): StreamCommands {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Per model, so two folds of one stream never share a state; a Map keeps insertion order for eviction.
  const caches = new WeakMap<StreamModel<unknown>, Map<string, Folded<unknown>>>();

  const cacheOf = <S>(model: StreamModel<S>): Map<string, Folded<S>> => {
    let cache = caches.get(model as StreamModel<unknown>);
    if (!cache) caches.set(model as StreamModel<unknown>, (cache = new Map()));
    return cache as Map<string, Folded<S>>;
  };

  const fold = <S>(folded: Folded<S>, model: StreamModel<S>, events: readonly StoredEvent[]): Folded<S> => {
    let { state, version } = folded;
    for (const e of events) {
      state = model.evolve(state, e as unknown as DomainEvent);
      version = e.streamPosition;
    }
    return { state, version };
  };

  const remember = <S>(model: StreamModel<S>, streamId: string, folded: Folded<S>): Folded<S> => {
    const cache = cacheOf(model);
    cache.delete(streamId);
    cache.set(streamId, folded);
    if (cache.size > CACHED_STREAMS) cache.delete(cache.keys().next().value as string);
    return folded;
  };

  /** The cached fold, brought up to date with whatever was appended after it (by anyone). */
  const load = async <S>(streamId: string, model: StreamModel<S>): Promise<Folded<S>> => {
    const cached = cacheOf(model).get(streamId) ?? { state: model.initial, version: 0 };
    const newer = await store.readStream(streamId, cached.version);
    return newer.length === 0 && cacheOf(model).has(streamId) ? cached : remember(model, streamId, fold(cached, model, newer));
  };

  const run: StreamCommands['run'] = async (streamId, model, decide, metadata) => {
    for (let decision = 0; decision < MAX_DECISIONS; decision++) {
      const current = await load(streamId, model);
      const decided = decide(current.state);
      if (decided.isErr()) return err({ kind: 'rejected', error: decided.error });
      if (decided.value.length === 0) return ok({ state: current.state, appended: [] });
      const request = {
        streamId,
        expectedVersion: current.version,
        events: decided.value.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data })),
        metadata,
      };
      let appended = await store.append([request]);
      for (const delay of STORAGE_RETRIES_MS) {
        if (appended.isOk() || appended.error.code !== 'STORAGE') break;
        await sleep(delay);
        appended = await store.append([request]);
      }
      if (appended.isOk()) {
        const after = remember(model, streamId, fold(current, model, appended.value));
        return ok({ state: after.state, appended: appended.value });
      }
      if (appended.error.code !== 'CONFLICT') return err({ kind: 'storage', error: appended.error });
    }
    return err({
      kind: 'storage',
      error: { code: 'STORAGE', errno: null, message: `stream ${streamId} kept changing while a command was decided ${MAX_DECISIONS} times` },
    });
  };

  return { run, state: async (streamId, model) => (await load(streamId, model)).state };
}
