import type { Consumer } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PauseTimers, resumeLater } from '../../../src/kafka/pauses.js';

/** The parts of a kafkajs consumer PauseTimers uses; `resume` fails `refusals` times first. */
function fakeConsumer(refusals = 0) {
  const paused = new Set<number>();
  const resumes: number[] = [];
  let left = refusals;
  const consumer = {
    pause: (tps: { partitions: number[] }[]) => {
      for (const p of tps[0]!.partitions) paused.add(p);
    },
    resume: (tps: { partitions: number[] }[]) => {
      if (left-- > 0)
        throw new Error('Consumer group was not initialized, consumer#run must be called first');
      for (const p of tps[0]!.partitions) {
        paused.delete(p);
        resumes.push(Date.now());
      }
    },
    paused: () => [{ topic: 't', partitions: [...paused] }],
  } as unknown as Consumer;
  return { consumer, paused, resumes };
}

describe('PauseTimers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resumes a paused partition when it is due, and names paused partitions no timer will resume', () => {
    vi.useFakeTimers({ now: 0 });
    const c = fakeConsumer();
    const pauses = new PauseTimers('t', 'deliveries', () => c.consumer, Date.now);
    pauses.pauseUntil(3, 5_000);
    expect(c.paused.has(3)).toBe(true);
    expect(pauses.orphaned(c.consumer)).toEqual([]);
    vi.advanceTimersByTime(4_999);
    expect(c.paused.has(3)).toBe(true);
    vi.advanceTimersByTime(2);
    expect(c.paused.has(3)).toBe(false);
    c.consumer.pause([{ topic: 't', partitions: [7] }]);
    expect(pauses.orphaned(c.consumer)).toEqual([7]);
  });

  it('keeps trying every second while kafkajs refuses resume (a consumer restarting), instead of throwing from the timer', () => {
    vi.useFakeTimers({ now: 0 });
    const c = fakeConsumer(2);
    const pauses = new PauseTimers('t', 'deliveries', () => c.consumer, Date.now);
    pauses.pauseUntil(1, 1_000);
    expect(() => vi.advanceTimersByTime(1_001)).not.toThrow();
    expect(c.paused.has(1)).toBe(true);
    // Still its timer's: not an orphan to resume twice.
    expect(pauses.orphaned(c.consumer)).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(c.paused.has(1)).toBe(false);
    expect(c.resumes).toEqual([3_001]);
  });

  it('resumes nothing after stop', () => {
    vi.useFakeTimers({ now: 0 });
    const c = fakeConsumer();
    const pauses = new PauseTimers('t', 'deliveries', () => c.consumer, Date.now);
    pauses.pauseUntil(2, 1_000);
    pauses.stop();
    vi.advanceTimersByTime(5_000);
    expect(c.paused.has(2)).toBe(true);
  });
});

describe('resumeLater', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resumes after the delay, retrying every second while refused, a bounded number of times', () => {
    vi.useFakeTimers({ now: 0 });
    const calls: number[] = [];
    let refusals = 2;
    resumeLater(() => {
      calls.push(Date.now());
      if (refusals-- > 0) throw new Error('Consumer group was not initialized');
    }, 500);
    expect(() => vi.advanceTimersByTime(10_000)).not.toThrow();
    expect(calls).toEqual([500, 1_500, 2_500]);

    const forever: number[] = [];
    resumeLater(
      () => {
        forever.push(Date.now());
        throw new Error('Consumer group was not initialized');
      },
      0,
      3,
    );
    vi.advanceTimersByTime(60_000);
    expect(forever).toHaveLength(3);
  });
});
