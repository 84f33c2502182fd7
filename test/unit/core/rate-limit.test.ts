import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HookstreamError } from '../../../src/core/errors.js';
import {
  DEFAULT_HOLD_MAX_MS,
  deferralTier,
  estimatedWaitMs,
  PACE_MARGIN,
  type PaceState,
  pace,
  paceIntervalMs,
  parseRateLimit,
  RATE_LIMIT_MAX_PER_S,
  startPace,
  throttleLane,
  throttleStep,
} from '../../../src/core/rate-limit.js';
import { parseTiers } from '../../../src/core/retry-policy.js';
import { busiestSecond } from './busiest-second.js';
import { thrown } from './thrown.js';

const tiers = parseTiers('1m,10m,1h,6h');

/**
 * A pacer driven like the sender drives it: `demand` requests are ready at `readyAtMs`; each
 * time it is told to wait, the timer fires `lateMs()` after the wait (never early).
 */
function run(limit: number, readyAtMs: readonly number[], lateMs: () => number): number[] {
  let state: PaceState = startPace(0);
  let now = 0;
  const starts: number[] = [];
  for (const ready of readyAtMs) {
    now = Math.max(now, ready);
    for (;;) {
      const decision = pace(state, now, limit);
      if (decision.go) {
        state = decision.state;
        starts.push(now);
        break;
      }
      now += decision.waitMs + lateMs();
    }
  }
  return starts;
}

describe('parseRateLimit', () => {
  it.each([1, 5, 10_000])('accepts %d', (n) => expect(parseRateLimit(n)).toBe(n));

  it('reads absent and null as unlimited', () => {
    expect(parseRateLimit(undefined)).toBeNull();
    expect(parseRateLimit(null)).toBeNull();
  });

  it.each<[unknown, string]>([
    [0, 'out_of_range'],
    [-5, 'out_of_range'],
    [RATE_LIMIT_MAX_PER_S + 1, 'out_of_range'],
    [2.5, 'not_integer'],
    [Number.NaN, 'not_integer'],
    [Number.POSITIVE_INFINITY, 'not_integer'],
    ['5', 'wrong_type'],
    [true, 'wrong_type'],
  ])('refuses %s (%s)', (value, reason) => {
    const err = thrown(() => parseRateLimit(value)) as HookstreamError;
    expect(err).toBeInstanceOf(HookstreamError);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.httpStatus).toBe(422);
    expect(err.details).toEqual({ path: 'rate_limit_per_s', reason });
    expect(err.message).toMatch(/^rate_limit_per_s: /);
  });
});

describe('pace', () => {
  it('spaces starts by 1000/limit ms plus the margin', () => {
    expect(paceIntervalMs(5)).toBeCloseTo(200 * (1 + PACE_MARGIN));
    expect(paceIntervalMs(10_000)).toBeCloseTo(0.1 * (1 + PACE_MARGIN));
    expect(() => paceIntervalMs(0)).toThrow(RangeError);
    expect(() => paceIntervalMs(Number.NaN)).toThrow(RangeError);
  });

  it('makes a new pacer wait one interval, then lets one request through per interval', () => {
    const state = startPace(1_000);
    expect(pace(state, 1_000, 5)).toEqual({ go: false, waitMs: 204 });
    expect(pace(state, 1_203, 5)).toEqual({ go: false, waitMs: 1 });
    expect(pace(state, 1_204, 5)).toEqual({ go: true, state: { lastSlotMs: 1_204 } });
  });

  it('earns no credit from a late timer or a quiet period', () => {
    const late = pace(startPace(0), 5_000, 5);
    expect(late).toEqual({ go: true, state: { lastSlotMs: 5_000 } });
    if (!late.go) throw new Error('unreachable');
    expect(pace(late.state, 5_001, 5)).toEqual({ go: false, waitMs: 203 });
  });

  it('applies a changed limit to the very next request', () => {
    const state = startPace(0);
    expect(pace(state, 11, 100).go).toBe(true);
    expect(pace(state, 11, 5).go).toBe(false);
  });

  it('never puts more than the limit into one second, however late the timers (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 20 }),
        (limit, readyAt, lateness) => {
          let k = 0;
          const starts = run(
            limit,
            [...readyAt].sort((a, b) => a - b),
            () => lateness[k++ % lateness.length]!,
          );
          expect(starts).toHaveLength(readyAt.length);
          expect(busiestSecond(starts)).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });

  it('uses the limit when there is a backlog (within the margin)', () => {
    for (const limit of [1, 5, 100, 10_000]) {
      const seconds = 20;
      const starts = run(limit, new Array(limit * seconds).fill(0), () => 0);
      const elapsedS = (starts.at(-1)! - starts[0]!) / 1000;
      expect((starts.length - 1) / elapsedS).toBeGreaterThan(limit * 0.97);
      expect(busiestSecond(starts)).toBeLessThanOrEqual(limit);
    }
  });
});

describe('estimatedWaitMs', () => {
  it('is the wait for the next slot plus one interval per job ahead', () => {
    const state = startPace(0);
    expect(estimatedWaitMs(state, 0, 5, 0)).toBe(204);
    expect(estimatedWaitMs(state, 100, 5, 2)).toBe(104 + 408);
    expect(estimatedWaitMs(state, 10_000, 5, 0)).toBe(0);
    expect(estimatedWaitMs(state, 10_000, 5, 3)).toBe(612);
  });
});

describe('throttleStep', () => {
  const policy = { holdMaxMs: DEFAULT_HOLD_MAX_MS, maxHeldBytes: 1_000 };

  it('holds a job whose turn is near while memory allows', () => {
    expect(throttleStep({ waitMs: 500, bytes: 100, heldBytes: 900 }, policy, tiers)).toEqual({
      kind: 'hold',
    });
    expect(throttleStep({ waitMs: DEFAULT_HOLD_MAX_MS, bytes: 1, heldBytes: 0 }, policy, tiers)).toEqual({
      kind: 'hold',
    });
  });

  it('defers a job that would wait too long, or that memory cannot hold', () => {
    expect(throttleStep({ waitMs: DEFAULT_HOLD_MAX_MS + 1, bytes: 1, heldBytes: 0 }, policy, tiers)).toEqual({
      kind: 'defer',
      tier: tiers[0],
    });
    expect(throttleStep({ waitMs: 10, bytes: 101, heldBytes: 900 }, policy, tiers)).toEqual({
      kind: 'defer',
      tier: tiers[0],
    });
  });

  it('holds what fits and defers the rest of a burst of 50 jobs to a 5/s webhook', () => {
    const state = startPace(0);
    const steps = Array.from({ length: 50 }, (_, ahead) =>
      throttleStep(
        { waitMs: estimatedWaitMs(state, 0, 5, ahead), bytes: 10, heldBytes: ahead * 10 },
        { ...policy, maxHeldBytes: 1e6 },
        tiers,
      ),
    );
    const held = steps.filter((s) => s.kind === 'hold').length;
    expect(held).toBe(Math.floor(DEFAULT_HOLD_MAX_MS / 204)); // waits 204, 408, … ≤ 10 000 ms
    expect(steps.slice(held).every((s) => s.kind === 'defer')).toBe(true);
  });
});

describe('deferralTier', () => {
  it.each<[number, string]>([
    [0, '1m'],
    [30_000, '1m'],
    [60_000, '1m'],
    [599_999, '1m'],
    [600_000, '10m'],
    [3 * 3_600_000, '1h'],
    [48 * 3_600_000, '6h'],
  ])('%d ms → %s', (waitMs, name) => {
    expect(deferralTier(waitMs, tiers).name).toBe(name);
  });

  it('needs a tier', () => {
    expect(() => deferralTier(1, [])).toThrow(RangeError);
  });
});

describe('throttleLane', () => {
  it('sends unlimited jobs, paces limited first attempts and forwards limited retries', () => {
    expect(throttleLane(null, 'first_attempt')).toBe('send');
    expect(throttleLane(null, 'tier')).toBe('send');
    expect(throttleLane(5, 'first_attempt')).toBe('pace');
    expect(throttleLane(5, 'tier')).toBe('forward');
  });

  it('keeps the sum over topics under the limit: forwarded retries share the one pacer (simulation)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 5_000 }),
            topic: fc.constantFrom('first_attempt', 'tier'),
          }),
          {
            maxLength: 120,
          },
        ),
        (jobs) => {
          // Every limited job reaches the first-attempt consumer: directly, or forwarded from a tier.
          const arrivals = jobs
            .map((j) =>
              throttleLane(5, j.topic as 'first_attempt' | 'tier') === 'forward' ? j.at + 3 : j.at,
            )
            .sort((a, b) => a - b);
          expect(busiestSecond(run(5, arrivals, () => 0))).toBeLessThanOrEqual(5);
        },
      ),
    );
  });
});
