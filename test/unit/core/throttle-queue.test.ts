import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLD_MAX_MS, paceIntervalMs } from '../../../src/core/rate-limit.js';
import { parseTiers } from '../../../src/core/retry-policy.js';
import { ThrottleQueue } from '../../../src/core/throttle-queue.js';
import { busiestSecond } from './busiest-second.js';

const tiers = parseTiers('1m,10m,1h,6h');
const roomy = { holdMaxMs: DEFAULT_HOLD_MAX_MS, maxHeldBytes: 1_000_000 };

/** Runs the sender's timer loop: wakes at `wakeAtMs` plus `lateMs()`, until nothing is held. */
function drain<J>(
  queue: ThrottleQueue<J>,
  fromMs: number,
  limitOf: (id: string) => number | null,
  lateMs = () => 0,
) {
  const starts: { job: J; at: number; heldMs: number }[] = [];
  let now = fromMs;
  for (let guard = 0; guard < 100_000; guard++) {
    const { ready, wakeAtMs } = queue.take(now, limitOf);
    for (const r of ready) starts.push({ job: r.job, at: now, heldMs: r.heldMs });
    if (wakeAtMs === null) return starts;
    now = wakeAtMs + lateMs();
  }
  throw new Error('the queue never drained');
}

describe('ThrottleQueue', () => {
  it('holds the first job of a newly seen webhook for one interval, then starts it', () => {
    const queue = new ThrottleQueue<string>(roomy, tiers);
    expect(queue.admit('wh_a', 'j1', 10, 5, 1_000)).toEqual({ kind: 'hold' });
    expect(queue.take(1_100, () => 5)).toEqual({ ready: [], wakeAtMs: 1_204 });
    expect(queue.take(1_204, () => 5)).toEqual({ ready: [{ job: 'j1', heldMs: 204 }], wakeAtMs: null });
    expect(queue.admit('wh_a', 'j2', 10, 5, 2_000)).toEqual({ kind: 'go' });
  });

  it('holds what fits of a burst of 50 jobs at 5/s, defers the rest, and starts the held ones in order at the rate', () => {
    const queue = new ThrottleQueue<number>(roomy, tiers);
    const admissions = Array.from({ length: 50 }, (_, i) => queue.admit('wh_a', i, 100, 5, 0));
    const held = admissions.filter((a) => a.kind === 'hold').length;
    expect(held).toBe(Math.floor(DEFAULT_HOLD_MAX_MS / paceIntervalMs(5)));
    expect(admissions.slice(held)).toEqual(new Array(50 - held).fill({ kind: 'defer', tier: tiers[0] }));
    expect(queue.size).toBe(held);
    expect(queue.heldBytes).toBe(held * 100);

    const starts = drain(queue, 0, () => 5);
    expect(starts.map((s) => s.job)).toEqual(Array.from({ length: held }, (_, i) => i));
    expect(busiestSecond(starts.map((s) => s.at))).toBe(5);
    expect(starts.at(-1)!.heldMs).toBeLessThanOrEqual(DEFAULT_HOLD_MAX_MS);
    expect(queue.heldBytes).toBe(0);
  });

  it('queues a job behind its webhook’s held jobs even when the pacer would let it go', () => {
    const queue = new ThrottleQueue<string>(roomy, tiers);
    queue.admit('wh_a', 'first', 1, 5, 0);
    expect(queue.admit('wh_a', 'second', 1, 5, 300)).toEqual({ kind: 'hold' });
    expect(queue.take(300, () => 5).ready.map((r) => r.job)).toEqual(['first']);
  });

  it('keeps webhooks apart: a throttled one never delays another', () => {
    const queue = new ThrottleQueue<string>(roomy, tiers);
    for (let i = 0; i < 40; i++) queue.admit('wh_slow', `s${i}`, 10, 1, 0);
    queue.admit('wh_fast', 'f0', 10, 10_000, 0);
    const { ready } = queue.take(1, (id) => (id === 'wh_fast' ? 10_000 : 1));
    expect(ready.map((r) => r.job)).toEqual(['f0']);
    expect(queue.admit('wh_fast', 'f1', 10, 10_000, 2)).toEqual({ kind: 'go' });
  });

  it('defers once the partition’s held bytes are used up', () => {
    const queue = new ThrottleQueue<string>({ holdMaxMs: DEFAULT_HOLD_MAX_MS, maxHeldBytes: 250 }, tiers);
    expect(queue.admit('wh_a', 'a', 100, 5, 0).kind).toBe('hold');
    expect(queue.admit('wh_b', 'b', 100, 5, 0).kind).toBe('hold');
    expect(queue.admit('wh_c', 'c', 100, 5, 0)).toEqual({ kind: 'defer', tier: tiers[0] });
    expect(queue.admit('wh_c', 'c', 50, 5, 0).kind).toBe('hold');
  });

  it('releases every held job of a webhook whose limit was removed', () => {
    const queue = new ThrottleQueue<number>(roomy, tiers);
    for (let i = 0; i < 5; i++) queue.admit('wh_a', i, 1, 1, 0);
    expect(queue.take(1, () => null)).toEqual({
      ready: [0, 1, 2, 3, 4].map((job) => ({ job, heldMs: 1 })),
      wakeAtMs: null,
    });
  });

  it('wakes for the earliest webhook', () => {
    const queue = new ThrottleQueue<string>(roomy, tiers);
    queue.admit('wh_slow', 's', 1, 1, 0);
    queue.admit('wh_fast', 'f', 1, 100, 0);
    expect(queue.take(0, (id) => (id === 'wh_fast' ? 100 : 1)).wakeAtMs).toBe(Math.ceil(paceIntervalMs(100)));
  });

  it('clear drops the held jobs for the next owner and forgets the pacers', () => {
    const queue = new ThrottleQueue<string>(roomy, tiers);
    queue.admit('wh_a', 'a1', 5, 5, 0);
    queue.admit('wh_a', 'a2', 5, 5, 0);
    expect(queue.clear()).toEqual(['a1', 'a2']);
    expect([queue.size, queue.heldBytes]).toEqual([0, 0]);
    expect(queue.take(10_000, () => 5)).toEqual({ ready: [], wakeAtMs: null });
    expect(queue.admit('wh_a', 'a3', 5, 5, 10_000)).toEqual({ kind: 'hold' });
  });

  it('never starts more than the limit in a second, in order, however jobs arrive and timers lag (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 4_000 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 30 }),
        (limit, arrivals, late) => {
          const queue = new ThrottleQueue<number>(roomy, tiers);
          const sorted = [...arrivals].sort((a, b) => a - b);
          const starts: { job: number; at: number }[] = [];
          const deferred: number[] = [];
          let wake: number | null = null;
          const runUntil = (t: number) => {
            while (wake !== null && wake + late <= t) {
              const now: number = wake + late;
              const out = queue.take(now, () => limit);
              for (const r of out.ready) starts.push({ job: r.job, at: now });
              wake = out.wakeAtMs;
            }
          };
          sorted.forEach((at, job) => {
            runUntil(at);
            const admission = queue.admit('wh_a', job, 10, limit, at);
            if (admission.kind === 'go') starts.push({ job, at });
            else if (admission.kind === 'defer') deferred.push(job);
            else {
              const out = queue.take(at, () => limit);
              for (const r of out.ready) starts.push({ job: r.job, at });
              wake = out.wakeAtMs;
            }
          });
          runUntil(Number.POSITIVE_INFINITY);
          expect(starts.length + deferred.length).toBe(sorted.length);
          expect(busiestSecond(starts.map((s) => s.at))).toBeLessThanOrEqual(limit);
          const order = starts.map((s) => s.job);
          expect(order).toEqual([...order].sort((a, b) => a - b));
        },
      ),
    );
  });
});
