import { describe, it, expect } from 'vitest';
import { DEFAULT_RAMP, refuseRamp, sampleRamp, startRamp, type RampSettings, type RampState } from '../../src/transfer/ramp.js';

const settings: RampSettings = { ...DEFAULT_RAMP, max: 16 };

/**
 * Drives the ramp through `ms` of simulated time in 50 ms samples, against a link that gives each connection
 * `perConnection` bytes/ms up to a total of `link` bytes/ms.
 */
function drive(state: RampState, from: number, ms: number, perConnection: number, link: number, bytesBefore = 0) {
  let bytes = bytesBefore;
  let s = state;
  const targets: number[] = [];
  for (let t = from + 50; t <= from + ms; t += 50) {
    bytes += Math.min(link, perConnection * s.target) * 50;
    s = sampleRamp(s, settings, t, bytes, s.target);
    if (targets.at(-1) !== s.target) targets.push(s.target);
  }
  return { state: s, targets, bytes };
}

describe('connection ramp', () => {
  it('starts with a few connections', () => {
    expect(startRamp(settings, 0).target).toBe(4);
    expect(startRamp({ ...settings, max: 2 }, 0).target).toBe(2);
  });

  it('doubles while each doubling raises the rate, up to the cap, when the host caps each connection', () => {
    const { targets } = drive(startRamp(settings, 0), 0, 5000, 50_000, 10_000_000);
    expect(targets).toEqual([4, 8, 16]);
  });

  it('goes back to the last count that paid once the link is full', () => {
    // Four connections fill the link: eight bring nothing.
    const { state, targets } = drive(startRamp(settings, 0), 0, 5000, 50_000, 200_000);
    expect(targets).toEqual([4, 8, 4]);
    expect(state.target).toBe(4);
  });

  it('stops at the count where the link filled up', () => {
    const { targets } = drive(startRamp(settings, 0), 0, 5000, 50_000, 400_000);
    expect(targets).toEqual([4, 8, 16, 8]);
  });

  it('does not undo a doubling that pays for one window that looked flat (a busy machine)', () => {
    let s = startRamp(settings, 0);
    let bytes = 0;
    const targets: number[] = [s.target];
    for (let t = 50; t <= 5000; t += 50) {
      // Each connection gets 50 bytes/ms, except during one stretch right after the first doubling.
      const hiccup = s.target === 8 && t > 1000 && t <= 1500;
      bytes += (hiccup ? 25 : 50) * s.target * 50;
      s = sampleRamp(s, settings, t, bytes, s.target);
      if (targets.at(-1) !== s.target) targets.push(s.target);
    }
    expect(targets).toEqual([4, 8, 16]);
  });

  it('tries again later after settling, in case the link freed up', () => {
    const first = drive(startRamp(settings, 0), 0, 5000, 50_000, 200_000);
    const later = drive(first.state, 5000, settings.settleMs + 2000, 50_000, 10_000_000, first.bytes);
    expect(later.state.target).toBe(16);
  });

  it('does not judge a count while fewer connections are busy than it has', () => {
    let s = startRamp(settings, 0);
    for (let t = 50, bytes = 0; t <= 3000; t += 50) {
      bytes += 10_000;
      s = sampleRamp(s, settings, t, bytes, 2);
    }
    expect(s.target).toBe(4);
  });

  it('halves on a refusal, once per burst of refusals, and holds before growing again', () => {
    const grown = drive(startRamp(settings, 0), 0, 5000, 50_000, 10_000_000);
    expect(grown.state.target).toBe(16);
    let s = refuseRamp(grown.state, settings, 5000);
    s = refuseRamp(s, settings, 5010);
    s = refuseRamp(s, settings, 5020);
    expect(s.target).toBe(8);
    const held = drive(s, 5020, settings.refusedHoldMs - 1000, 50_000, 10_000_000, grown.bytes);
    expect(held.state.target).toBe(8);
    expect(refuseRamp(held.state, settings, 5020 + settings.refusedHoldMs).target).toBe(4);
    expect(refuseRamp({ ...s, target: 1 }, settings, 99_999).target).toBe(1);
  });
});
