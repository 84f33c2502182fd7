/**
 * The retry schedule: which tier (delay topic) a failed delivery goes to next, or dead-letter.
 * Pure arithmetic; the caller passes the clock.
 */
import { formatDuration, parseDurationWithName } from './duration.js';
import { HookstreamError } from './errors.js';

export interface Tier {
  /** Canonical duration spelling, used in topic and group names: `1m` → `hookstream.retry.1m`. */
  readonly name: string;
  readonly delayMs: number;
}

export interface RetryPolicy {
  /** Strictly increasing delays; the last one repeats. */
  readonly tiers: readonly Tier[];
  /** How long after the first attempt a delivery may still be attempted, milliseconds. @default 24 h */
  readonly budgetMs: number;
}

export const DEFAULT_RETRY_TIERS = '1m,10m,1h,6h';
export const DEFAULT_RETRY_BUDGET = '24h';

/**
 * `"1m,10m,1h,6h"` → tiers. Spaces around commas are allowed. Throws `INVALID_TIER` (details:
 * `value`, `reason`: `empty`, `invalid_format`, `too_large`, `zero`, `duplicate`, `not_increasing`).
 */
export function parseTiers(text: string): Tier[] {
  if (text.trim() === '')
    throw invalidTier(text, 'empty', 'the tier list is empty: expected e.g. 1m,10m,1h,6h');
  const tiers: Tier[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') throw invalidTier(text, 'empty', `"${text}" has an empty tier`);
    const { ms, name } = parseDurationWithName(part);
    if (ms === 0) throw invalidTier(part.trim(), 'zero', `tier "${part.trim()}" must be longer than zero`);
    const same = tiers.find((t) => t.delayMs === ms);
    if (same !== undefined) {
      throw invalidTier(
        name,
        'duplicate',
        `tier "${name}" repeats "${same.name}": each tier needs its own delay`,
      );
    }
    const previous = tiers.at(-1);
    if (previous !== undefined && ms < previous.delayMs) {
      throw invalidTier(
        name,
        'not_increasing',
        `tier "${name}" is shorter than "${previous.name}" before it: tiers must increase`,
      );
    }
    tiers.push({ name, delayMs: ms });
  }
  return tiers;
}

/**
 * Checks tiers and budget together. Throws `INVALID_TIER` when the tiers are not strictly
 * increasing and positive, or when the budget is shorter than the first tier (no retry could ever
 * be scheduled).
 */
export function createRetryPolicy(tiers: readonly Tier[], budgetMs: number): RetryPolicy {
  if (tiers.length === 0) throw invalidTier('', 'empty', 'at least one retry tier is required');
  tiers.forEach((tier, i) => {
    const previous = i === 0 ? 0 : tiers[i - 1]!.delayMs;
    if (!Number.isSafeInteger(tier.delayMs) || tier.delayMs <= previous) {
      throw invalidTier(
        tier.name,
        'not_increasing',
        `tier "${tier.name}" must be longer than zero and than the tier before it`,
      );
    }
  });
  const first = tiers[0]!;
  if (!Number.isSafeInteger(budgetMs) || budgetMs < first.delayMs) {
    throw invalidTier(
      String(budgetMs),
      'budget_too_short',
      `the retry budget (${Number.isSafeInteger(budgetMs) && budgetMs >= 0 ? formatDuration(budgetMs) : budgetMs}) is shorter than the first tier (${first.name}): no retry could ever be scheduled`,
    );
  }
  return Object.freeze({ tiers: Object.freeze([...tiers]), budgetMs });
}

/** `parseTiers` + `parseDuration` + `createRetryPolicy`; defaults `1m,10m,1h,6h` and `24h`. */
export function parseRetryPolicy(
  tiers: string = DEFAULT_RETRY_TIERS,
  budget: string = DEFAULT_RETRY_BUDGET,
): RetryPolicy {
  return createRetryPolicy(parseTiers(tiers), parseDurationWithName(budget).ms);
}

export interface FailedAttempt {
  /** When attempt 1 was made, epoch milliseconds: the budget runs from here. */
  readonly firstAttemptAtMs: number;
  /** Now, epoch milliseconds. */
  readonly now: number;
  /** The attempt that just failed, 1-based. */
  readonly attempt: number;
  /** The receiver's `Retry-After`, milliseconds from now (see `parseRetryAfter`); null/absent: none. */
  readonly retryAfterMs?: number | null;
  /**
   * The tier topic the failed attempt was read from; null/absent for the first-attempt topic
   * (`deliveries`, also where manual retries and replays go). A tier shorter than the one the
   * schedule gave this attempt marks the final attempt of the tail (rule 4 below).
   */
  readonly via?: Tier | null;
}

export type NextAttempt =
  | {
      readonly kind: 'retry';
      readonly tier: Tier;
      /** `now + tier.delayMs`, epoch milliseconds. */
      readonly dueAtMs: number;
      /** The number of the attempt being scheduled: `attempt + 1`. */
      readonly attempt: number;
    }
  | { readonly kind: 'dead-letter'; readonly reason: 'budget_exhausted' };

/**
 * Decides where a failed delivery goes next.
 *
 * A tier *fits* when `now + tier.delayMs <= firstAttemptAtMs + budgetMs` (landing exactly on the
 * deadline still fits).
 *
 * 1. The *scheduled* delay of the attempt after attempt `n` is tier `n - 1` (0-based); past the
 *    last tier, the last tier repeats. With the defaults: 1m, 10m, 1h, 6h, 6h, 6h, …
 * 2. If the scheduled tier fits, the *wanted* delay is the larger of it and `retryAfterMs`
 *    (Retry-After only lengthens the wait; 0, a past date, NaN: no effect), and the next attempt
 *    goes to the smallest fitting tier ≥ the wanted delay, else to the largest fitting tier (which
 *    is never shorter than the scheduled one).
 * 3. If the scheduled tier would pass the budget, one *final* attempt goes to the largest tier
 *    that still fits; if none fits, dead-letter at once (`budget_exhausted`).
 * 4. An attempt read from a tier shorter than the one its schedule gave it was that final
 *    attempt: dead-letter (`budget_exhausted`). Rule 2 never picks a shorter tier, so only rule 3
 *    makes one.
 *
 * With the defaults: 8 attempts, at 0, 1m, 11m, 1h11m, 7h11m, 13h11m, 19h11m and 20h11m. Every
 * retry has `now < dueAtMs <= firstAttemptAtMs + budgetMs`.
 *
 * @example
 * // defaults, Retry-After: 120 after the first attempt → the 10m tier (smallest ≥ 2 min)
 * nextAttempt({ firstAttemptAtMs: t0, now: t0, attempt: 1, retryAfterMs: 120_000 }, policy)
 */
export function nextAttempt(failed: FailedAttempt, policy: RetryPolicy): NextAttempt {
  const { firstAttemptAtMs, now, attempt, via } = failed;
  if (!Number.isSafeInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be 1 or more, got ${attempt}`);
  if (!Number.isFinite(firstAttemptAtMs) || !Number.isFinite(now)) {
    throw new RangeError(`firstAttemptAtMs and now must be finite, got ${firstAttemptAtMs} and ${now}`);
  }
  const tiers = policy.tiers;
  const scheduledFor = (n: number) => tiers[Math.min(n - 1, tiers.length - 1)]!;
  const exhausted = { kind: 'dead-letter', reason: 'budget_exhausted' } as const;
  if (via != null && attempt >= 2 && via.delayMs < scheduledFor(attempt - 1).delayMs) return exhausted;

  const remainingMs = firstAttemptAtMs + policy.budgetMs - now;
  const scheduledMs = scheduledFor(attempt).delayMs;
  const largestFitting = tiers.findLast((t) => t.delayMs <= remainingMs);
  let chosen = largestFitting;
  if (scheduledMs <= remainingMs) {
    const retryAfterMs = failed.retryAfterMs;
    const wantedMs =
      typeof retryAfterMs === 'number' && retryAfterMs > scheduledMs ? retryAfterMs : scheduledMs;
    chosen = tiers.find((t) => t.delayMs >= wantedMs && t.delayMs <= remainingMs) ?? largestFitting;
  }
  if (chosen === undefined) return exhausted;
  return { kind: 'retry', tier: chosen, dueAtMs: now + chosen.delayMs, attempt: attempt + 1 };
}

function invalidTier(value: string, reason: string, message: string): HookstreamError {
  return new HookstreamError('INVALID_TIER', message, { details: { value, reason } });
}
