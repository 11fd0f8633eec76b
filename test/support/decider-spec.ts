import { expect } from 'vitest';
import type { Result } from 'neverthrow';

/** given(history).when(command).then(events) | .thenFails(code) | .thenNothing(): a decider's behaviour as a table. */
export function deciderSpec<S, C, E, Err extends { code: string }>(decider: {
  initial: S;
  evolve: (s: S, e: E) => S;
  decide: (s: S, c: C) => Result<E[], Err>;
}) {
  return {
    given: (history: readonly E[]) => ({
      when: (command: C) => {
        const decision = () => decider.decide(history.reduce(decider.evolve, decider.initial), command);
        return {
          then: (expected: readonly E[]) => expect(decision()._unsafeUnwrap()).toEqual(expected),
          thenNothing: () => expect(decision()._unsafeUnwrap()).toEqual([]),
          thenFails: (code: Err['code']) => expect(decision()._unsafeUnwrapErr().code).toBe(code),
          /** Idempotency: deciding again after the decided events were applied yields nothing. */
          thenIdempotent: () => {
            const first = decision()._unsafeUnwrap();
            const after = [...history, ...first].reduce(decider.evolve, decider.initial);
            expect(decider.decide(after, command)._unsafeUnwrap()).toEqual([]);
          },
        };
      },
    }),
  };
}
