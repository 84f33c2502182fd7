/**
 * Per-webhook rate limits (`rate_limit_per_s`, 1–10,000; absent = unlimited): the pacing arithmetic
 * and the scheme that keeps the sum over every topic under the limit. Pure: the clock is a parameter.
 *
 * Scheme (docs/options.md, "Rate limit"): **one pacer per webhook, in the first-attempt consumer.**
 * Jobs are keyed by webhook id, so all of a webhook's jobs on `<prefix>.deliveries` sit in one
 * partition, owned by one consumer. A tier consumer that finds a due job of a limited webhook does
 * not send it: it forwards it, unchanged, to `<prefix>.deliveries` (same key, so the same partition)
 * and commits. The one pacer there sees every request of the webhook, first attempts and retries
 * alike, so the sum cannot exceed the limit, without coordination between processes and without
 * splitting the limit into per-topic shares that idle while another topic has a backlog.
 *
 * Pacing is strict spacing, no burst: a request may start `paceIntervalMs` after the previous one's
 * slot, and a late start moves the slot (a late timer never earns a catch-up burst), which puts at
 * most `limit` starts into any one-second window. A quiet period earns no credit.
 *
 * A job that must wait is held in memory (FIFO per webhook) when its turn comes within
 * `holdMaxMs` and the partition's held bytes stay under their cap; otherwise it is deferred:
 * re-produced, unchanged (not an attempt), to a retry tier chosen by `deferralTier`, and comes back
 * through the forwarding above. Neither blocks the partition, so other webhooks never wait. The
 * held jobs of one partition are kept by `ThrottleQueue` (throttle-queue.ts).
 */
import { HookstreamError } from './errors.js';
import type { Tier } from './retry-policy.js';

export const RATE_LIMIT_MIN_PER_S = 1;
export const RATE_LIMIT_MAX_PER_S = 10_000;
/**
 * Spacing is this fraction wider than `1000 / limit` ms, so that up to 2 % of jitter between start
 * and arrival (4 ms at 5/s) cannot put `limit + 1` arrivals into one second at the receiver.
 */
export const PACE_MARGIN = 0.02;
/** Longest a throttled job waits in memory before it is deferred to a tier instead, ms. */
export const DEFAULT_HOLD_MAX_MS = 10_000;

/**
 * The `rate_limit_per_s` field: an integer 1–10,000, or `null`/absent for unlimited.
 * Throws `VALIDATION_FAILED` (details `{ path: 'rate_limit_per_s', reason }`).
 */
export function parseRateLimit(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const fail = (reason: string, message: string) =>
    new HookstreamError('VALIDATION_FAILED', `rate_limit_per_s: ${message}`, {
      details: { path: 'rate_limit_per_s', reason },
    });
  if (typeof value !== 'number') throw fail('wrong_type', `must be a number, got ${typeof value}`);
  if (!Number.isInteger(value))
    throw fail('not_integer', `must be a whole number of requests per second, got ${value}`);
  if (value < RATE_LIMIT_MIN_PER_S || value > RATE_LIMIT_MAX_PER_S) {
    throw fail('out_of_range', `must be ${RATE_LIMIT_MIN_PER_S}–${RATE_LIMIT_MAX_PER_S}, got ${value}`);
  }
  return value;
}

/** Milliseconds between two request starts of a webhook limited to `limitPerS` (fractional). */
export function paceIntervalMs(limitPerS: number): number {
  if (!(limitPerS >= RATE_LIMIT_MIN_PER_S && limitPerS <= RATE_LIMIT_MAX_PER_S)) {
    throw new RangeError(
      `limitPerS must be ${RATE_LIMIT_MIN_PER_S}–${RATE_LIMIT_MAX_PER_S}, got ${limitPerS}`,
    );
  }
  return (1000 * (1 + PACE_MARGIN)) / limitPerS;
}

/**
 * The clock's resolution, ms (`Date.now()`). A request that starts less than this after its slot
 * keeps the slot as the base of the next one, so whole-ms clock reads do not round every interval
 * up (at 10,000/s the interval is 0.1 ms); one later than this restarts the spacing from its start.
 */
export const CLOCK_RESOLUTION_MS = 1;

/** What a pacer remembers of one webhook. */
export interface PaceState {
  /**
   * The slot of the last request, epoch ms: its start, or up to `CLOCK_RESOLUTION_MS` before it.
   * Kept instead of the next slot so that a changed limit applies to the very next request.
   */
  readonly lastSlotMs: number;
}

/**
 * The state of a pacer that has never sent for this webhook: as if a request had just started.
 * A new owner of the partition (after a restart or rebalance) so waits one interval first, which
 * keeps it apart from the previous owner's last request.
 */
export function startPace(nowMs: number): PaceState {
  return { lastSlotMs: nowMs };
}

export type PaceDecision =
  | { readonly go: true; readonly state: PaceState }
  | { readonly go: false /** Whole ms until the next start is allowed, ≥ 1. */; readonly waitMs: number };

/**
 * May a request of the webhook start at `nowMs`? When it may, `state` records that it did.
 * Any `limit + 1` consecutive starts span more than `1000 · (1 + PACE_MARGIN) − CLOCK_RESOLUTION_MS`
 * ms, so no one-second window holds more than `limit` of them.
 */
export function pace(state: PaceState, nowMs: number, limitPerS: number): PaceDecision {
  const slot = state.lastSlotMs + paceIntervalMs(limitPerS);
  if (nowMs < slot) return { go: false, waitMs: Math.max(1, Math.ceil(slot - nowMs)) };
  return { go: true, state: { lastSlotMs: nowMs - slot < CLOCK_RESOLUTION_MS ? slot : nowMs } };
}

/**
 * How long a job with `jobsAhead` jobs of the same webhook in front of it will wait, ms: until the
 * next start is allowed, then one interval per job ahead.
 */
export function estimatedWaitMs(
  state: PaceState,
  nowMs: number,
  limitPerS: number,
  jobsAhead: number,
): number {
  const interval = paceIntervalMs(limitPerS);
  const next = Math.max(nowMs, state.lastSlotMs + interval);
  return Math.ceil(next - nowMs + jobsAhead * interval);
}

export interface HoldPolicy {
  /** Longest a job may wait in memory, ms. @default DEFAULT_HOLD_MAX_MS */
  readonly holdMaxMs: number;
  /** Most bytes of held job bodies in one partition; beyond it jobs are deferred. */
  readonly maxHeldBytes: number;
}

export interface WaitingJob {
  /** `estimatedWaitMs` of the job. */
  readonly waitMs: number;
  /** Bytes of the job's body. */
  readonly bytes: number;
  /** Bytes already held for the partition, all webhooks. */
  readonly heldBytes: number;
}

export type ThrottleStep =
  | { readonly kind: 'hold' }
  | { readonly kind: 'defer' /** The tier topic to re-produce the job to. */; readonly tier: Tier };

/** Hold a job that must wait (its turn is near and memory allows), or defer it to a tier. */
export function throttleStep(job: WaitingJob, policy: HoldPolicy, tiers: readonly Tier[]): ThrottleStep {
  if (job.waitMs <= policy.holdMaxMs && job.heldBytes + job.bytes <= policy.maxHeldBytes)
    return { kind: 'hold' };
  return { kind: 'defer', tier: deferralTier(job.waitMs, tiers) };
}

/**
 * Where a deferred job waits: the longest tier no longer than its expected wait (so it is back
 * around its turn, not hours late), or the shortest tier when every tier is longer.
 */
export function deferralTier(waitMs: number, tiers: readonly Tier[]): Tier {
  if (tiers.length === 0) throw new RangeError('at least one retry tier is required');
  let chosen = tiers[0]!;
  for (const tier of tiers) if (tier.delayMs <= waitMs && tier.delayMs > chosen.delayMs) chosen = tier;
  return chosen;
}

/**
 * What a consumer does with a due job, by the webhook's limit and the topic it came from:
 * `send` (unlimited), `pace` (limited, on the first-attempt topic: through the webhook's pacer), or
 * `forward` (limited, on a tier topic: re-produce unchanged to the first-attempt topic).
 */
export function throttleLane(
  limitPerS: number | null,
  topic: 'first_attempt' | 'tier',
): 'send' | 'pace' | 'forward' {
  if (limitPerS === null) return 'send';
  return topic === 'first_attempt' ? 'pace' : 'forward';
}
