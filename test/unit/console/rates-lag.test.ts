import { describe, expect, it } from 'vitest';
import { onDemandLag, summarizeLag } from '../../../src/console/lag.js';
import { bucketRates } from '../../../src/console/rates.js';
import { isHookstreamError } from '../../../src/core/errors.js';
import type { LagRow } from '../../../src/observability/lag.js';

const until = new Date('2026-12-07T12:30:30.000Z');
const at = (iso: string) => new Date(iso);

describe('bucketRates', () => {
  it('counts attempts, failures and dead letters per minute, the last bucket holding now', () => {
    const r = bucketRates(
      [
        { at: at('2026-12-07T12:30:10Z'), outcome: 'success', tier: 'deliveries' },
        { at: at('2026-12-07T12:30:20Z'), outcome: 'http_5xx', tier: 'deliveries' },
        { at: at('2026-12-07T12:28:59Z'), outcome: 'timeout', tier: '1m' },
        { at: at('2026-12-07T12:20:00Z'), outcome: 'success', tier: '1m' }, // before the window
      ],
      [at('2026-12-07T12:29:00Z')],
      until,
      3,
    );
    expect(r.since).toBe('2026-12-07T12:28:00.000Z');
    expect(r.buckets.map((b) => [b.start.slice(11, 16), b.attempts, b.failures, b.dead_lettered])).toEqual([
      ['12:28', 1, 1, 0],
      ['12:29', 0, 0, 1],
      ['12:30', 2, 1, 0],
    ]);
    expect(r.totals).toEqual({
      attempts: 3,
      failures: 2,
      dead_lettered: 1,
      by_outcome: { success: 1, http_5xx: 1, timeout: 1 },
      by_tier: { deliveries: 2, '1m': 1 },
    });
    expect(r.truncated).toBe(false);
  });
});

const row = (over: Partial<LagRow>): LagRow => ({
  group: 'g',
  topic: 't',
  partition: 0,
  stage: 'deliveries',
  committed: 0,
  end: 0,
  lag: 0,
  overdueSeconds: 0,
  ...over,
});

describe('summarizeLag', () => {
  it('sums lag over partitions and keeps the worst overdue time per stage', () => {
    const s = summarizeLag([
      row({ stage: 'router', topic: 'ev', partition: 0, lag: 2, overdueSeconds: null }),
      row({ stage: 'router', topic: 'ev', partition: 1, lag: 3, overdueSeconds: null }),
      row({ stage: '1m', topic: 'r1', partition: 0, lag: 4, overdueSeconds: 1.5 }),
      row({ stage: '1m', topic: 'r1', partition: 1, lag: 1, overdueSeconds: 7 }),
    ]);
    expect(s.map((x) => [x.stage, x.partitions, x.lag, x.overdue_seconds])).toEqual([
      ['router', 2, 5, null],
      ['1m', 2, 5, 7],
    ]);
  });
});

describe('onDemandLag', () => {
  it('reuses a reading for the cache time and measures again after it', async () => {
    let clock = 1_000;
    let calls = 0;
    const read = onDemandLag(
      async () => {
        calls++;
        return [row({ lag: calls })];
      },
      { cacheMs: 5_000, clock: () => clock },
    );
    expect((await read()).stages[0]!.lag).toBe(1);
    clock += 4_999;
    expect((await read()).stages[0]!.lag).toBe(1);
    clock += 1;
    expect((await read()).stages[0]!.lag).toBe(2);
  });

  it('answers STORE_UNAVAILABLE naming the time-out when Kafka does not answer', async () => {
    const read = onDemandLag(() => new Promise<never>(() => {}), { timeoutMs: 20 });
    const err = await read().catch((e: unknown) => e);
    expect(isHookstreamError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/did not answer within 0.02 s/);
  });

  it('answers STORE_UNAVAILABLE when the reading fails', async () => {
    const read = onDemandLag(async () => {
      throw new Error('broker down');
    });
    const err = await read().catch((e: unknown) => e);
    expect(isHookstreamError(err, 'STORE_UNAVAILABLE')).toBe(true);
  });
});
