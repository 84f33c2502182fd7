/**
 * What follows one delivery attempt — or a decision made without one (webhook gone, disabled, no
 * secret): succeeded, retry in a tier, dead-letter with a reason, or disable the webhook and then
 * dead-letter. Each decision carries the delivery record update and, when the job moves on, the
 * job to produce. Pure: the clock is a parameter; the I/O is the caller's (`sender/settle.ts`).
 */
import type { AttemptOutcome, AttemptRecord, DeliveryUpdate } from '../mongo/deliveries.js';
import { type DeliveryJob, nextJob } from './job.js';
import { parseRetryAfter } from './retry-after.js';
import { nextAttempt, type RetryPolicy, type Tier } from './retry-policy.js';

/** What the HTTP layer reports of one POST (`http/post.ts`). */
export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  /** From the status line; null when no response arrived. */
  readonly statusCode: number | null;
  /** Connect to capped body read, milliseconds. */
  readonly latencyMs: number;
  /** Raw `Retry-After` header, if any. */
  readonly retryAfter: string | null;
  /** Short, log-safe description of what failed; null on success. */
  readonly error: string | null;
}

/** The part of a webhook the decision needs (`SendableWebhook` has it). */
export interface WebhookState {
  readonly enabled: boolean;
  readonly deleted: boolean;
  /** Secrets valid now; none means nothing could be signed. */
  readonly secrets: readonly string[];
}

/** One attempt as made: where it was read from, when it started, what came back. */
export interface Attempt {
  /** `deliveries` for the first-attempt topic, else the tier name. */
  readonly tier: string;
  /** Epoch milliseconds. */
  readonly startedAtMs: number;
  readonly result: AttemptResult;
}

export type DeadLetterReason =
  | 'budget_exhausted'
  | 'webhook_deleted'
  | 'webhook_disabled'
  | 'no_valid_secret'
  | 'webhook_gone';

export type Decision =
  | { readonly kind: 'succeeded'; readonly record: DeliveryUpdate }
  | {
      readonly kind: 'retry';
      readonly tier: Tier;
      /** The next attempt's job (`nextJob`), for the tier's topic. */
      readonly job: DeliveryJob;
      readonly record: DeliveryUpdate;
    }
  | {
      readonly kind: 'dead-letter' | 'disable-then-dead-letter';
      readonly reason: DeadLetterReason;
      /** The job for the dead-letter topic, `first_attempt_at` filled in. */
      readonly job: DeliveryJob;
      /** Headers of the dead-letter message (reason, last outcome and status). */
      readonly headers: Readonly<Record<string, string>>;
      readonly record: DeliveryUpdate;
    };

/** Why no attempt can be made to this webhook, or null when one can. */
export function unsendable(webhook: WebhookState | null): DeadLetterReason | null {
  if (webhook === null || webhook.deleted) return 'webhook_deleted';
  if (!webhook.enabled) return 'webhook_disabled';
  if (webhook.secrets.length === 0) return 'no_valid_secret';
  return null;
}

/**
 * The decision after `attempt` (null: no attempt was made, because `unsendable(webhook)` says
 * why). `webhook` null means it no longer exists. `nowMs` is read once by the caller, after the
 * attempt.
 */
export function decide(
  job: DeliveryJob,
  webhook: WebhookState | null,
  attempt: Attempt | null,
  policy: RetryPolicy,
  nowMs: number,
): Decision {
  const firstAttemptAtMs = job.first_attempt_at ?? attempt?.startedAtMs ?? nowMs;
  const record = (status: DeliveryUpdate['status'], next: Date | null, reason: string | null) =>
    recordUpdate(job, attempt, status, next, reason, nowMs);
  const deadLetter = (
    reason: DeadLetterReason,
    kind: 'dead-letter' | 'disable-then-dead-letter' = 'dead-letter',
  ) => {
    const headers: Record<string, string> = { 'hookstream-dead-letter-reason': reason };
    if (attempt) {
      headers['hookstream-last-outcome'] = attempt.result.outcome;
      if (attempt.result.statusCode !== null)
        headers['hookstream-last-status'] = String(attempt.result.statusCode);
    }
    return {
      kind,
      reason,
      job: { ...job, first_attempt_at: firstAttemptAtMs },
      headers,
      record: record('failed', null, reason),
    } as const;
  };

  const cannot = unsendable(webhook);
  if (cannot !== null) return deadLetter(cannot);
  if (attempt === null) throw new RangeError('decide: a sendable webhook needs the attempt made');

  const { result } = attempt;
  if (result.outcome === 'success') return { kind: 'succeeded', record: record('succeeded', null, null) };
  if (result.outcome === 'http_410') return deadLetter('webhook_gone', 'disable-then-dead-letter');

  const honoursRetryAfter = result.statusCode === 429 || result.statusCode === 503;
  const next = nextAttempt(
    {
      // Time spent waiting for the webhook's rate limit is not budget: the deadline moves by it.
      firstAttemptAtMs: firstAttemptAtMs + (job.throttled_ms ?? 0),
      now: nowMs,
      attempt: job.attempt,
      retryAfterMs: honoursRetryAfter ? parseRetryAfter(result.retryAfter, nowMs) : null,
      via: policy.tiers.find((t) => t.name === attempt.tier) ?? null,
    },
    policy,
  );
  if (next.kind === 'dead-letter') return deadLetter(next.reason);
  return {
    kind: 'retry',
    tier: next.tier,
    job: nextJob(job, { attempt: next.attempt, dueAtMs: next.dueAtMs, firstAttemptAtMs }),
    record: record('retrying', new Date(next.dueAtMs), null),
  };
}

function recordUpdate(
  job: DeliveryJob,
  attempt: Attempt | null,
  status: DeliveryUpdate['status'],
  next: Date | null,
  reason: string | null,
  nowMs: number,
): DeliveryUpdate {
  const made: AttemptRecord | null = attempt && {
    attempt: job.attempt,
    at: new Date(attempt.startedAtMs),
    tier: attempt.tier,
    outcome: attempt.result.outcome,
    status_code: attempt.result.statusCode,
    latency_ms: attempt.result.latencyMs,
    error: attempt.result.error,
  };
  return {
    delivery_id: job.delivery_id,
    webhook_id: job.webhook_id,
    environment: job.environment,
    event_id: job.event_id,
    event_type: job.event_type,
    event_created_at: new Date(job.created_at),
    body: job.body,
    status,
    attempts: made ? job.attempt : job.attempt - 1,
    next_attempt_at: next,
    failure_reason: reason,
    attempt: made,
    now: new Date(nowMs),
  };
}
