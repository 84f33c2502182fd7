/**
 * Endpoint health: when a webhook whose deliveries keep failing is disabled (`persistent_failure`).
 *
 * Rule (issue 13): a webhook is disabled when every attempt has failed for at least
 * `disableAfterMs` (HOOKSTREAM_DISABLE_AFTER, default 5 d; 0 = never) and at least `minAttempts`
 * attempts failed in that time (HOOKSTREAM_DISABLE_MIN_ATTEMPTS, default 10). One success ends the
 * failing streak; re-enabling the webhook does too (`reset_at`: outcomes from before it are ignored).
 *
 * Pure: outcomes carry their own times and nothing reads the clock. A sender folds outcomes into an
 * `OutcomeSummary` in memory (O(1) per webhook, `summarize`), and every few seconds applies the
 * summary to the stored state (`applyOutcomes`) — at most one write per webhook per flush, however
 * many attempts, and for a healthy webhook at most one per `lastSuccessResolutionMs`. Outcomes may arrive out of order (several senders, batched writes); where a summary cannot
 * tell exactly which failures came after a success, it keeps the fewer and later ones, so ordering
 * noise can only delay a disable, never cause one.
 */

export interface HealthPolicy {
  /** All-failing time after which a webhook is disabled, milliseconds; 0 = never. @default 5 d */
  readonly disableAfterMs: number;
  /** Failed attempts needed within that time. @default 10 */
  readonly minAttempts: number;
  /**
   * How far a healthy webhook's stored `last_success_at` may lag behind its latest success,
   * milliseconds: a success that only moves it by less is kept in memory, not written (a write per
   * webhook per flush is what the store spent most of its time on). 0 = write every advance.
   * @default LAST_SUCCESS_RESOLUTION_MS (60 s)
   */
  readonly lastSuccessResolutionMs?: number;
}

/** Default `HealthPolicy.lastSuccessResolutionMs`, milliseconds. */
export const LAST_SUCCESS_RESOLUTION_MS = 60_000;

/** What the webhook document stores (see `mongo/webhook-health.ts`). */
export interface EndpointHealth {
  /** First failure of the current streak (no success since); null when not failing. */
  readonly failing_since: Date | null;
  /** Failed attempts since `failing_since`. */
  readonly failed_attempts: number;
  readonly last_success_at: Date | null;
  /** When the webhook was last re-enabled: outcomes from before it no longer count. */
  readonly reset_at: Date | null;
}

export const HEALTHY: EndpointHealth = Object.freeze({
  failing_since: null,
  failed_attempts: 0,
  last_success_at: null,
  reset_at: null,
});

/** One attempt's outcome as the tracker sees it: success (2xx) or not, and when it was made. */
export interface HealthSample {
  readonly ok: boolean;
  readonly at: Date;
}

/** A batch of samples folded together: the latest success and the failures after it. */
export interface OutcomeSummary {
  readonly lastSuccessAt: Date | null;
  /** Failures after `lastSuccessAt` (all failures when there was no success). */
  readonly failures: number;
  readonly firstFailureAt: Date | null;
  readonly lastFailureAt: Date | null;
}

export const EMPTY_SUMMARY: OutcomeSummary = Object.freeze({
  lastSuccessAt: null,
  failures: 0,
  firstFailureAt: null,
  lastFailureAt: null,
});

export interface HealthDecision {
  readonly state: EndpointHealth;
  /** The state differs from the one passed in (a write is due). */
  readonly changed: boolean;
  /**
   * Only `last_success_at` moved, by less than the resolution: no write is due, and the summary
   * must be kept for a later flush (it still ends the streak of failures that arrive later).
   */
  readonly deferred: boolean;
  /** Disable the webhook now, reason `persistent_failure`. */
  readonly disable: boolean;
}

const ms = (d: Date | null): number => (d === null ? Number.NEGATIVE_INFINITY : d.getTime());
const later = (a: Date | null, b: Date | null): Date | null => (ms(a) >= ms(b) ? a : b);
const earlier = (a: Date | null, b: Date | null): Date | null => {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
};

/** The failures of `m` strictly after `cutoff`; a streak that straddles it keeps only its last failure. */
function failuresAfter(m: OutcomeSummary, cutoff: Date | null): OutcomeSummary {
  if (m.failures === 0 || ms(m.lastFailureAt) <= ms(cutoff)) {
    return { ...m, failures: 0, firstFailureAt: null, lastFailureAt: null };
  }
  if (ms(m.firstFailureAt) > ms(cutoff)) return m;
  return { ...m, failures: 1, firstFailureAt: m.lastFailureAt };
}

/** Folds one sample into a summary. */
export function summarize(m: OutcomeSummary, sample: HealthSample): OutcomeSummary {
  if (sample.ok) {
    if (ms(sample.at) <= ms(m.lastSuccessAt)) return m;
    return failuresAfter({ ...m, lastSuccessAt: sample.at }, sample.at);
  }
  if (ms(sample.at) <= ms(m.lastSuccessAt)) return m; // superseded by a later success
  return {
    lastSuccessAt: m.lastSuccessAt,
    failures: m.failures + 1,
    firstFailureAt: earlier(m.firstFailureAt, sample.at),
    lastFailureAt: later(m.lastFailureAt, sample.at),
  };
}

/** Two summaries as one (e.g. a batch that could not be written, put back before newer samples). */
export function mergeSummaries(a: OutcomeSummary, b: OutcomeSummary): OutcomeSummary {
  const lastSuccessAt = later(a.lastSuccessAt, b.lastSuccessAt);
  const fa = failuresAfter(a, lastSuccessAt);
  const fb = failuresAfter(b, lastSuccessAt);
  return {
    lastSuccessAt,
    failures: fa.failures + fb.failures,
    firstFailureAt: earlier(fa.firstFailureAt, fb.firstFailureAt),
    lastFailureAt: later(fa.lastFailureAt, fb.lastFailureAt),
  };
}

/** Applies a batch summary to the stored state and decides whether to disable. */
export function applyOutcomes(
  state: EndpointHealth,
  batch: OutcomeSummary,
  policy: HealthPolicy,
): HealthDecision {
  const lastSuccess = later(state.last_success_at, batch.lastSuccessAt);
  // A success in the batch at or after the stored streak's start ends that streak.
  const streakSurvives =
    state.failing_since !== null &&
    ms(state.failing_since) > ms(state.reset_at) &&
    ms(batch.lastSuccessAt) < ms(state.failing_since);
  const fresh = failuresAfter(batch, later(lastSuccess, state.reset_at));

  const failing_since = streakSurvives
    ? earlier(state.failing_since, fresh.firstFailureAt)
    : fresh.failures > 0
      ? fresh.firstFailureAt
      : null;
  const failed_attempts = (streakSurvives ? state.failed_attempts : 0) + fresh.failures;
  const next: EndpointHealth = {
    failing_since,
    failed_attempts,
    last_success_at: lastSuccess,
    reset_at: state.reset_at,
  };
  const healthChanged =
    ms(next.failing_since) !== ms(state.failing_since) || next.failed_attempts !== state.failed_attempts;
  const successMoved = ms(next.last_success_at) !== ms(state.last_success_at);
  const resolution = policy.lastSuccessResolutionMs ?? LAST_SUCCESS_RESOLUTION_MS;
  const successDue =
    successMoved &&
    (state.last_success_at === null || ms(next.last_success_at) - ms(state.last_success_at) >= resolution);
  const changed = healthChanged || successDue;
  // Only a fresh failure is evidence that the endpoint is still failing now.
  const disable =
    policy.disableAfterMs > 0 &&
    failing_since !== null &&
    fresh.lastFailureAt !== null &&
    failed_attempts >= policy.minAttempts &&
    fresh.lastFailureAt.getTime() - failing_since.getTime() >= policy.disableAfterMs;
  return { state: next, changed, deferred: !changed && successMoved, disable };
}

/** `applyOutcomes` for a list of samples in any order. */
export function decideHealth(
  state: EndpointHealth,
  samples: readonly HealthSample[],
  policy: HealthPolicy,
): HealthDecision {
  const sorted = [...samples].sort((a, b) => a.at.getTime() - b.at.getTime());
  return applyOutcomes(state, sorted.reduce(summarize, EMPTY_SUMMARY), policy);
}
