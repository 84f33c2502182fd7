/**
 * Backoff for the loops that retry an I/O step (a produce, a record write, a reconnect): the delay
 * doubles from `baseMs` up to `maxMs`, with optional jitter. Pure: the randomness is a parameter.
 */
export interface BackoffPolicy {
  /** Delay before the first retry, milliseconds. */
  readonly baseMs: number;
  /** The delay never grows past this, milliseconds. */
  readonly maxMs: number;
  /**
   * Fraction of the delay drawn at random (0: none, 1: anywhere in [0, delay]); spreads retries of
   * many clients that failed together. @default 0
   */
  readonly jitter?: number;
}

/**
 * The wait before retry number `retry` (0-based): `min(maxMs, baseMs · 2^retry)`, less up to
 * `jitter` of it. `random` returns a number in [0, 1) (pass `Math.random` at the edge).
 *
 * @example backoffMs({ baseMs: 500, maxMs: 10_000 }, 3) // 4_000
 */
export function backoffMs(policy: BackoffPolicy, retry: number, random: () => number = () => 0): number {
  if (!Number.isSafeInteger(retry) || retry < 0)
    throw new RangeError(`retry must be 0 or more, got ${retry}`);
  const full = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retry, 52));
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  return Math.round(full - full * jitter * random());
}

/** Produce retries: 500 ms, 1 s, 2 s … 10 s. */
export const PRODUCE_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000, jitter: 0.2 };
/** Record-write retries while MongoDB fails: 250 ms … 5 s. */
export const RECORD_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 5_000, jitter: 0.2 };
/** Handling a job again after an unexpected failure of its outcome steps: 1 s … 30 s. */
export const REDO_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 };
