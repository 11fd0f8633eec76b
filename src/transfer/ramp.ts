/**
 * How many connections one download keeps open, decided from the rate it gets. Pure: the transfer feeds it samples
 * of the bytes received so far and the storage host's refusals, and opens or retires connections to match `target`.
 *
 * A storage host that caps each connection (many CDNs do, around 50 MB/s) gives more with more connections until
 * the link or the host is full; a fast local link gives nothing more past a few, and each extra connection costs
 * CPU. So the download starts with a few, doubles while a doubling raises the rate clearly, and goes back to the
 * last count that paid once it does not. A 429 or 503 from the storage host halves the count and holds it.
 */

export interface RampSettings {
  readonly initial: number;
  readonly max: number;
  /** After a change, the new connections need a moment to start sending: the window measured starts this late. */
  readonly warmMs: number;
  /** How long a rate is measured before it is compared. */
  readonly windowMs: number;
  /** The share by which a doubling must raise the rate to count as worth it. */
  readonly minGain: number;
  /** After the rate stopped rising, how long before trying more connections again. */
  readonly settleMs: number;
  /** After a refusal, how long before trying more connections again. */
  readonly refusedHoldMs: number;
}

export const DEFAULT_RAMP: Omit<RampSettings, 'max'> = {
  initial: 4,
  warmMs: 250,
  windowMs: 500,
  minGain: 0.5,
  settleMs: 15_000,
  refusedHoldMs: 30_000,
};

export interface RampState {
  readonly target: number;
  /** The count before the last doubling and the rate it gave: where to go back when doubling did not pay. */
  readonly before: { readonly target: number; readonly rate: number } | undefined;
  /** When the last change took effect. */
  readonly changedAt: number;
  /** Start of the window being measured (undefined while warming up after a change). */
  readonly window: { readonly at: number; readonly bytes: number } | undefined;
  /** No growth before this time. */
  readonly holdUntil: number;
  readonly lastRefusalAt: number | undefined;
  /** Windows in a row in which the last doubling did not pay: one may be noise, two are not. */
  readonly misses: number;
}

export function startRamp(settings: RampSettings, now: number): RampState {
  return {
    target: Math.max(1, Math.min(settings.initial, settings.max)),
    before: undefined,
    changedAt: now,
    window: undefined,
    holdUntil: now,
    lastRefusalAt: undefined,
    misses: 0,
  };
}

const changed = (state: RampState, now: number, target: number, before: RampState['before'], holdUntil: number): RampState => ({
  ...state, target, before, changedAt: now, window: undefined, holdUntil, misses: 0,
});

/**
 * A sample: `bytes` received by the download so far, and `busy`, the connections receiving now. While fewer are
 * busy than the target (the file's last pieces, retries), the rate says nothing about the count and is not measured.
 */
export function sampleRamp(state: RampState, settings: RampSettings, now: number, bytes: number, busy: number): RampState {
  if (now - state.changedAt < settings.warmMs) return state;
  if (busy < state.target) return { ...state, window: undefined };
  if (state.window === undefined) return { ...state, window: { at: now, bytes } };
  const elapsed = now - state.window.at;
  if (elapsed < settings.windowMs) return state;
  const rate = (bytes - state.window.bytes) / elapsed;
  const measured = { ...state, window: { at: now, bytes } };
  if (state.before !== undefined) {
    // The last doubling is judged: kept if it paid, undone if it did not in two windows running (on a busy machine
    // one window can hide a gain, and undoing a doubling that paid costs far more than a window of extra connections).
    if (rate < state.before.rate * (1 + settings.minGain)) {
      if (state.misses === 0) return { ...measured, misses: 1 };
      return changed(measured, now, state.before.target, undefined, now + settings.settleMs);
    }
    return grow({ ...measured, before: undefined, misses: 0 }, settings, now, rate);
  }
  if (now < state.holdUntil) return measured;
  return grow(measured, settings, now, rate);
}

function grow(state: RampState, settings: RampSettings, now: number, rate: number): RampState {
  if (state.target >= settings.max) return { ...state, holdUntil: now + settings.settleMs };
  const target = Math.min(settings.max, state.target * 2);
  return changed(state, now, target, { target: state.target, rate }, state.holdUntil);
}

/**
 * The storage host answered 429 or 503: too many requests. Several connections usually hear it at once; one cut
 * per window answers them all.
 */
export function refuseRamp(state: RampState, settings: RampSettings, now: number): RampState {
  if (state.lastRefusalAt !== undefined && now - state.lastRefusalAt < settings.warmMs + settings.windowMs) return state;
  const target = Math.max(1, Math.floor(state.target / 2));
  return { ...changed(state, now, target, undefined, now + settings.refusedHoldMs), lastRefusalAt: now };
}
