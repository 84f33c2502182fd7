import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionProgress, Window } from '../../../src/sender/progress.js';

describe('PartitionProgress', () => {
  it('commits only up to the lowest unfinished job', () => {
    const p = new PartitionProgress();
    expect(p.committable()).toBeNull();
    for (const o of [10, 11, 12, 13]) p.dispatched(o);
    expect(p.committable()).toBe(10); // 10 is still in flight: the next read must be 10
    p.markCommitted(10);
    expect(p.committable()).toBeNull();
    p.finished(12);
    p.finished(11);
    expect(p.committable()).toBeNull();
    p.finished(10);
    expect(p.committable()).toBe(13);
    p.markCommitted(13);
    expect(p.committable()).toBeNull();
    p.finished(13);
    expect(p.committable()).toBe(14);
    expect(p.inFlight).toBe(0);
  });

  it('recognises re-fetched offsets it already dispatched', () => {
    const p = new PartitionProgress();
    p.dispatched(5);
    p.dispatched(6);
    expect(p.seen(4)).toBe(true);
    expect(p.seen(6)).toBe(true);
    expect(p.seen(7)).toBe(false);
    expect(() => p.dispatched(6)).toThrow(RangeError);
  });

  it('never offers an offset past an unfinished job, whatever the finishing order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 1000 }),
        (done, start) => {
          const p = new PartitionProgress();
          for (let i = 0; i < done.length; i++) p.dispatched(start + i);
          // Finish a subset in reverse order.
          for (let i = done.length - 1; i >= 0; i--) if (done[i]) p.finished(start + i);
          const firstUnfinished = done.indexOf(false);
          const expected = firstUnfinished === -1 ? start + done.length : start + firstUnfinished;
          return p.committable() === expected;
        },
      ),
    );
  });
});

describe('Window', () => {
  it('grants at most `size` slots and hands released slots to waiters in order', async () => {
    const w = new Window(2);
    await w.acquire();
    await w.acquire();
    expect(w.inUse).toBe(2);
    const order: number[] = [];
    const a = w.acquire().then(() => order.push(1));
    const b = w.acquire().then(() => order.push(2));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    w.release();
    await a;
    w.release();
    await b;
    expect(order).toEqual([1, 2]);
    expect(w.inUse).toBe(2);
  });

  it('calls the heartbeat while it waits, and idle() resolves when all slots are back', async () => {
    const w = new Window(1);
    await w.acquire();
    let beats = 0;
    const waiting = w.acquire(async () => void beats++, 5);
    await new Promise((r) => setTimeout(r, 40));
    expect(beats).toBeGreaterThan(2);
    w.release();
    await waiting;
    const idle = w.idle(5);
    w.release();
    await idle;
    expect(w.inUse).toBe(0);
  });

  it('tryAcquire takes a free slot at once, and never one a waiter is queued for', async () => {
    const w = new Window(1);
    expect(w.tryAcquire()).toBe(true);
    expect(w.tryAcquire()).toBe(false);
    let granted = false;
    const waiting = w.acquire().then(() => (granted = true));
    w.release(); // handed to the waiter, not to tryAcquire
    expect(w.tryAcquire()).toBe(false);
    await waiting;
    expect(granted).toBe(true);
    w.release();
    expect(w.tryAcquire()).toBe(true);
    expect(w.inUse).toBe(1);
  });
});
