import { describe, it, expect } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { createTransferSlots, type Release } from '../../src/handlers/download/slots.js';

describe('transfer slots', () => {
  it('grants up to the limit, then first come first served as slots come back', async () => {
    const slots = createTransferSlots(async () => 2);
    const signal = new AbortController().signal;
    const order: string[] = [];
    const take = (name: string): Promise<Release | undefined> => slots.acquire(signal).then((r) => (order.push(name), r));
    const a = take('a');
    const b = take('b');
    void take('c');
    void take('d');
    await tick();
    expect(order).toEqual(['a', 'b']);
    (await a)!();
    (await a)!(); // a second release of the same slot gives nothing more
    await tick();
    expect(order).toEqual(['a', 'b', 'c']);
    (await b)!();
    await tick();
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets a job that is paused while it waits leave the line without taking a slot', async () => {
    const slots = createTransferSlots(async () => 1);
    const first = await slots.acquire(new AbortController().signal);
    const paused = new AbortController();
    const waiting = slots.acquire(paused.signal);
    const next = slots.acquire(new AbortController().signal);
    paused.abort();
    expect(await waiting).toBeUndefined();
    first!();
    expect(typeof (await next)).toBe('function');
  });

  it('follows a live change of the limit at the next grant', async () => {
    let limit = 1;
    const slots = createTransferSlots(async () => limit);
    const signal = new AbortController().signal;
    const granted: number[] = [];
    const first = await slots.acquire(signal);
    for (const n of [2, 3]) void slots.acquire(signal).then(() => granted.push(n));
    await tick();
    expect(granted).toEqual([]);
    limit = 3;
    first!();
    await tick();
    expect(granted).toEqual([2, 3]);
  });
});
