import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/core/duration.js';
import {
  createRetryPolicy,
  type NextAttempt,
  nextAttempt,
  parseRetryPolicy,
  parseTiers,
  type RetryPolicy,
  type Tier,
} from '../../../src/core/retry-policy.js';
import { thrown } from './thrown.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const T0 = Date.UTC(2024, 0, 1); // first attempt; the timelines below are relative to it

const defaults = parseRetryPolicy();

/** `1h11m`-style offsets for readable timelines. */
function rel(ms: number): string {
  const h = Math.floor(ms / H);
  const m = Math.floor((ms % H) / M);
  const s = Math.floor((ms % M) / S);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0';
}

/** Every attempt fails instantly and the next one happens exactly when due. */
function timeline(policy: RetryPolicy): string[] {
  const lines: string[] = [];
  let now = T0;
  let via: Tier | null = null;
  for (let attempt = 1; ; attempt++) {
    const next = nextAttempt({ firstAttemptAtMs: T0, now, attempt, via }, policy);
    if (next.kind === 'dead-letter') {
      lines.push(`#${attempt} at ${rel(now - T0)} → dead-letter`);
      return lines;
    }
    lines.push(`#${attempt} at ${rel(now - T0)} → ${next.tier.name}`);
    expect(next.attempt).toBe(attempt + 1);
    now = next.dueAtMs;
    via = next.tier;
  }
}

describe('parseTiers', () => {
  it('parses the default tiers', () => {
    expect(parseTiers('1m,10m,1h,6h')).toEqual([
      { name: '1m', delayMs: M },
      { name: '10m', delayMs: 10 * M },
      { name: '1h', delayMs: H },
      { name: '6h', delayMs: 6 * H },
    ]);
  });

  it('allows spaces and canonicalises names', () => {
    expect(parseTiers(' 500ms , 01s,2s ')).toEqual([
      { name: '500ms', delayMs: 500 },
      { name: '1s', delayMs: S },
      { name: '2s', delayMs: 2 * S },
    ]);
  });

  it('accepts a single tier', () => {
    expect(parseTiers('5m')).toEqual([{ name: '5m', delayMs: 5 * M }]);
  });

  it.each([
    ['', 'empty'],
    [' ', 'empty'],
    ['1m,,10m', 'empty'],
    ['1m,10m,', 'empty'],
    ['0s', 'zero'],
    ['0m,1m', 'zero'],
    ['1m,1m', 'duplicate'],
    ['1m,60s', 'duplicate'],
    ['10m,1m', 'not_increasing'],
    ['1m,1h,10m', 'not_increasing'],
    ['1m,soon', 'invalid_format'],
    ['1m;10m', 'invalid_format'],
  ])('rejects %j (%s)', (text, reason) => {
    expect(thrown(() => parseTiers(text))).toMatchObject({ code: 'INVALID_TIER', details: { reason } });
  });

  it('explains the order problem in words', () => {
    expect((thrown(() => parseTiers('10m,1m')) as Error).message).toBe(
      'tier "1m" is shorter than "10m" before it: tiers must increase',
    );
  });
});

describe('createRetryPolicy', () => {
  const tiers = parseTiers('1m,10m');

  it('freezes the policy', () => {
    const policy = createRetryPolicy(tiers, 24 * H);
    expect(policy).toEqual({ tiers, budgetMs: 24 * H });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.tiers)).toBe(true);
  });

  it('accepts a budget equal to the first tier', () => {
    expect(createRetryPolicy(tiers, M).budgetMs).toBe(M);
  });

  it.each<[string, Tier[], number, string]>([
    ['no tiers', [], H, 'empty'],
    ['a zero tier', [{ name: '0s', delayMs: 0 }], H, 'not_increasing'],
    [
      'decreasing tiers',
      [
        { name: '10m', delayMs: 10 * M },
        { name: '1m', delayMs: M },
      ],
      H,
      'not_increasing',
    ],
    ['a budget shorter than the first tier', tiers, 59 * S, 'budget_too_short'],
    ['a non-integer budget', tiers, Number.NaN, 'budget_too_short'],
  ])('rejects %s', (_name, t, budget, reason) => {
    expect(thrown(() => createRetryPolicy(t, budget))).toMatchObject({
      code: 'INVALID_TIER',
      details: { reason },
    });
  });

  it('parseRetryPolicy defaults to 1m,10m,1h,6h within 24h', () => {
    expect(defaults.tiers.map((t) => t.name)).toEqual(['1m', '10m', '1h', '6h']);
    expect(defaults.budgetMs).toBe(24 * H);
  });
});

describe('nextAttempt: schedule', () => {
  it('makes exactly 8 attempts with the defaults: 0, 1m, 11m, 1h11m, 7h11m, 13h11m, 19h11m, 20h11m', () => {
    expect(timeline(defaults)).toEqual([
      '#1 at 0 → 1m',
      '#2 at 1m → 10m',
      '#3 at 11m → 1h',
      '#4 at 1h11m → 6h',
      '#5 at 7h11m → 6h',
      '#6 at 13h11m → 6h',
      // 19h11m + 6h would pass 24h: one final attempt in the largest tier that fits (1h)…
      '#7 at 19h11m → 1h',
      // …and after it, dead-letter: 8 attempts, none bunched at the end of the budget.
      '#8 at 20h11m → dead-letter',
    ]);
  });

  it('walks second-scale tiers 1s,2s,4s within a 15s budget', () => {
    expect(timeline(parseRetryPolicy('1s,2s,4s', '15s'))).toEqual([
      '#1 at 0 → 1s',
      '#2 at 1s → 2s',
      '#3 at 3s → 4s',
      '#4 at 7s → 4s',
      '#5 at 11s → 4s',
      '#6 at 15s → dead-letter',
    ]);
  });

  it('counts the budget from the first attempt, including time spent attempting', () => {
    // Attempt 2 happened 12 h late (a long outage of the sender) and took 10 s.
    const now = T0 + 12 * H + M + 10 * S;
    expect(nextAttempt({ firstAttemptAtMs: T0, now, attempt: 2 }, defaults)).toEqual({
      kind: 'retry',
      tier: { name: '10m', delayMs: 10 * M },
      dueAtMs: now + 10 * M,
      attempt: 3,
    });
    const late = T0 + 23 * H + 55 * M;
    expect(nextAttempt({ firstAttemptAtMs: T0, now: late, attempt: 2 }, defaults)).toMatchObject({
      kind: 'retry',
      tier: { name: '1m' },
    });
    expect(nextAttempt({ firstAttemptAtMs: T0, now: late + 4 * M + 1, attempt: 2 }, defaults)).toEqual({
      kind: 'dead-letter',
      reason: 'budget_exhausted',
    });
  });

  it('dead-letters when even the smallest tier would pass the budget', () => {
    const now = T0 + 24 * H - M + 1;
    expect(nextAttempt({ firstAttemptAtMs: T0, now, attempt: 1 }, defaults)).toEqual({
      kind: 'dead-letter',
      reason: 'budget_exhausted',
    });
    expect(nextAttempt({ firstAttemptAtMs: T0, now: now - 1, attempt: 1 }, defaults)).toMatchObject({
      kind: 'retry',
      dueAtMs: T0 + 24 * H,
    });
  });

  it('dead-letters after the final attempt, and only after an attempt from a shorter tier', () => {
    const oneHour = defaults.tiers[2]!;
    const sixHours = defaults.tiers[3]!;
    const now = T0 + 20 * H + 11 * M;
    // attempt 8 came from 1h although its schedule said 6h: it was the final attempt
    expect(nextAttempt({ firstAttemptAtMs: T0, now, attempt: 8, via: oneHour }, defaults)).toEqual({
      kind: 'dead-letter',
      reason: 'budget_exhausted',
    });
    // the same moment, from the scheduled tier: still a final attempt to come
    expect(nextAttempt({ firstAttemptAtMs: T0, now, attempt: 8, via: sixHours }, defaults)).toMatchObject({
      kind: 'retry',
      tier: { name: '1h' },
    });
    // from the first-attempt topic (a manual retry or replay): never the final attempt
    expect(nextAttempt({ firstAttemptAtMs: now, now, attempt: 8, via: null }, defaults)).toMatchObject({
      kind: 'retry',
      tier: { name: '6h' },
    });
  });

  it('a Retry-After-lengthened tier is not mistaken for the final attempt', () => {
    // attempt 1 asked for 2 min → 10m tier; attempt 2 from 10m (its schedule said 1m) goes on
    const next = nextAttempt(
      { firstAttemptAtMs: T0, now: T0 + 10 * M, attempt: 2, via: defaults.tiers[1]! },
      defaults,
    );
    expect(next).toMatchObject({ kind: 'retry', tier: { name: '10m' }, attempt: 3 });
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects attempt %d', (attempt) => {
    expect(() => nextAttempt({ firstAttemptAtMs: T0, now: T0, attempt }, defaults)).toThrow(RangeError);
  });
});

describe('nextAttempt: Retry-After', () => {
  const at = (offsetMs: number, attempt: number, retryAfterMs: number | null | undefined) =>
    nextAttempt({ firstAttemptAtMs: T0, now: T0 + offsetMs, attempt, retryAfterMs }, defaults);
  const tierOf = (next: NextAttempt) => (next.kind === 'retry' ? next.tier.name : 'dead-letter');

  it.each<[string, number, number, number | null | undefined, string]>([
    ['absent', 0, 1, undefined, '1m'],
    ['null', 0, 1, null, '1m'],
    ['0', 0, 1, 0, '1m'],
    ['NaN', 0, 1, Number.NaN, '1m'],
    ['negative', 0, 1, -5 * S, '1m'],
    ['shorter than the scheduled delay', 0, 1, 30 * S, '1m'],
    ['equal to the scheduled delay', 0, 1, M, '1m'],
    ['just above the scheduled delay', 0, 1, M + 1, '10m'],
    ['120 s after attempt 1', 0, 1, 2 * M, '10m'],
    ['2 h after attempt 1', 0, 1, 2 * H, '6h'],
    ['shorter than attempt 3’s scheduled 1h', 11 * M, 3, 20 * M, '1h'],
    ['longer than every tier: the largest tier that fits', 0, 1, 7 * H, '6h'],
    ['too long for the budget: the largest tier that fits', 20 * H, 4, 2 * H, '1h'],
    ['wanted 20m with 30m left: 1h passes the budget, 10m fits', 23 * H + 30 * M, 1, 20 * M, '10m'],
    ['anything with 30 s left', 24 * H - 30 * S, 1, 10 * S, 'dead-letter'],
  ])('Retry-After %s', (_name, offset, attempt, retryAfterMs, tier) => {
    expect(tierOf(at(offset, attempt, retryAfterMs))).toBe(tier);
  });
});

describe('nextAttempt: properties', () => {
  const policyArb = (minDelayMs: number) =>
    fc
      .uniqueArray(fc.integer({ min: minDelayMs, max: 48 * H }), { minLength: 1, maxLength: 6 })
      .chain((delays) => {
        const sorted = [...delays].sort((a, b) => a - b);
        const tiers = sorted.map((delayMs) => ({ name: formatDuration(delayMs), delayMs }));
        return fc
          .integer({ min: sorted[0]!, max: 72 * H })
          .map((budgetMs) => createRetryPolicy(tiers, budgetMs));
      });

  it('never schedules before now or past the budget, and only dead-letters when nothing fits or after the final attempt', () => {
    fc.assert(
      fc.property(
        policyArb(1),
        fc.integer({ min: 0, max: 2 ** 42 }),
        fc.integer({ min: -H, max: 80 * H }),
        fc.integer({ min: 1, max: 50 }),
        fc.option(fc.integer({ min: -H, max: 80 * H }), { nil: undefined }),
        fc.option(fc.nat(), { nil: null }),
        (policy, first, elapsed, attempt, retryAfterMs, viaIndex) => {
          const now = first + elapsed;
          const deadline = first + policy.budgetMs;
          const via = viaIndex === null ? null : policy.tiers[viaIndex % policy.tiers.length]!;
          const next = nextAttempt({ firstAttemptAtMs: first, now, attempt, retryAfterMs, via }, policy);
          const fitting = policy.tiers.filter((t) => now + t.delayMs <= deadline);
          const scheduledForThis = policy.tiers[Math.min(attempt - 2, policy.tiers.length - 1)];
          const wasFinal = via !== null && attempt >= 2 && via.delayMs < scheduledForThis!.delayMs;
          if (next.kind === 'dead-letter') {
            expect(wasFinal || fitting.length === 0).toBe(true);
            return;
          }
          expect(wasFinal).toBe(false);
          expect(policy.tiers).toContain(next.tier);
          expect(next.dueAtMs).toBe(now + next.tier.delayMs);
          expect(next.dueAtMs).toBeGreaterThan(now);
          expect(next.dueAtMs).toBeLessThanOrEqual(deadline);
          const scheduled = policy.tiers[Math.min(attempt - 1, policy.tiers.length - 1)]!;
          const wanted = Math.max(scheduled.delayMs, retryAfterMs ?? 0);
          const longEnough = fitting.filter((t) => t.delayMs >= wanted);
          if (fitting.includes(scheduled)) {
            // Retry-After never shortens the schedule; it lengthens it as far as tiers and budget allow.
            expect(next.tier).toBe(longEnough[0] ?? fitting.at(-1));
            expect(next.tier.delayMs).toBeGreaterThanOrEqual(scheduled.delayMs);
          } else {
            // the final attempt: the largest tier that still fits
            expect(next.tier).toBe(fitting.at(-1));
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('a delivery retried on schedule always ends in dead-letter, with rising due times inside the budget', () => {
    fc.assert(
      // Tiers of at least a minute keep a walk within the 72 h budget to at most 4 320 attempts.
      fc.property(
        policyArb(M),
        fc.array(fc.integer({ min: 0, max: 30 * S }), { maxLength: 400 }),
        (policy, lateness) => {
          let now = T0;
          let previousDue = T0;
          let via: Tier | null = null;
          let finals = 0;
          for (let attempt = 1; attempt <= 10_000; attempt++) {
            const next = nextAttempt({ firstAttemptAtMs: T0, now, attempt, via }, policy);
            if (next.kind === 'dead-letter') return;
            // at most one attempt goes to a tier shorter than its schedule: the final one
            const scheduled = policy.tiers[Math.min(attempt - 1, policy.tiers.length - 1)]!;
            if (next.tier.delayMs < scheduled.delayMs) finals++;
            expect(finals).toBeLessThanOrEqual(1);
            via = next.tier;
            expect(next.dueAtMs).toBeGreaterThan(previousDue);
            expect(next.dueAtMs).toBeLessThanOrEqual(T0 + policy.budgetMs);
            previousDue = next.dueAtMs;
            now = next.dueAtMs + (lateness[attempt % Math.max(1, lateness.length)] ?? 0);
          }
          throw new Error('no dead-letter after 10 000 attempts');
        },
      ),
      { numRuns: 300 },
    );
  });
});
