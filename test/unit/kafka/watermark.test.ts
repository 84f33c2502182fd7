import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionWatermark } from '../../../src/kafka/watermark.js';

describe('PartitionWatermark', () => {
  it('commits only up to the lowest unfinished job', () => {
    const p = new PartitionWatermark();
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
    const p = new PartitionWatermark();
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
          const p = new PartitionWatermark();
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
