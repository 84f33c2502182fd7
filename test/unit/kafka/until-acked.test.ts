import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortableSleep, untilAcked } from '../../../src/kafka/until-acked.js';
import { testLogger } from '../../support/helpers.js';

describe('untilAcked', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends again after a backoff until Kafka acknowledges', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const send = async () => {
      calls++;
      if (calls < 3) throw new Error('broker unreachable');
    };
    const done = untilAcked('hs.operational', send, new AbortController().signal, testLogger);
    await vi.advanceTimersByTimeAsync(20_000);
    await expect(done).resolves.toBeUndefined();
    expect(calls).toBe(3);
  });

  it('gives up with the last error as soon as the signal aborts, without waiting out the backoff', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const failure = new Error('broker unreachable');
    let calls = 0;
    const done = untilAcked(
      'hs.operational',
      async () => {
        calls++;
        throw failure;
      },
      stop.signal,
      testLogger,
    );
    const settled = vi.fn();
    done.catch(settled);
    await vi.advanceTimersByTimeAsync(100); // inside the first backoff (≥ 400 ms)
    expect(settled).not.toHaveBeenCalled();
    stop.abort();
    await expect(done).rejects.toBe(failure);
    expect(calls).toBe(1);
  });
});

describe('abortableSleep', () => {
  it('resolves after the time, or at once when aborted', async () => {
    const t0 = Date.now();
    await abortableSleep(30, new AbortController().signal);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    const stop = new AbortController();
    stop.abort();
    const t1 = Date.now();
    await abortableSleep(10_000, stop.signal);
    expect(Date.now() - t1).toBeLessThan(100);
  });
});
