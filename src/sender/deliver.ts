/**
 * One delivery attempt: look the webhook up, sign, POST, decide. Everything it touches comes in
 * as a small interface (webhooks, http, clock, signal) — no Kafka, no MongoDB — so the whole path
 * is testable with fakes. What happens next (record, produce, disable) is `settle.ts`.
 *
 * Two seams, on purpose:
 * - `beforeAttempt` runs once the webhook is known to be sendable and may wait (a per-webhook rate
 *   limit): a job held there has not made an attempt, and its attempt number does not move.
 * - `observers` are told every attempt's outcome and decision (metrics, logs, and a per-webhook
 *   failure tracker for auto-disable).
 */
import { type Attempt, type Decision, decide, unsendable } from '../core/attempt.js';
import { HookstreamError } from '../core/errors.js';
import type { DeliveryJob } from '../core/job.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { HttpPoster } from '../http/post.js';
import { startAttemptSpan } from '../observability/spans.js';
import { deliveryHeaders } from './headers.js';
import type { SendableWebhook } from './webhook-cache.js';

/** What `deliver` needs of the webhook cache. undefined: not readable yet; null: does not exist. */
export interface WebhookSource {
  get(id: string): SendableWebhook | null | undefined;
}

/** One attempt as the observers see it. */
export interface AttemptReport {
  readonly job: DeliveryJob;
  readonly webhook: SendableWebhook;
  readonly attempt: Attempt;
  readonly decision: Decision;
}

export type AttemptObserver = (report: AttemptReport) => void;

export interface DeliverDeps {
  readonly webhooks: WebhookSource;
  readonly http: HttpPoster;
  /** Epoch milliseconds. */
  readonly clock: () => number;
  readonly policy: RetryPolicy;
  /** The topic the job was read from: `deliveries` or a tier name. */
  readonly tier: string;
  /** `HOOKSTREAM_HEADER_PREFIX`. */
  readonly headerPrefix: string;
  /** May wait before the attempt (rate limit); rejects when `signal` aborts. @default none */
  readonly beforeAttempt?: (webhook: SendableWebhook, job: DeliveryJob, signal: AbortSignal) => Promise<void>;
  /** Called after each attempt, in order; an observer that throws is a bug, not an outcome. */
  readonly observers?: readonly AttemptObserver[];
  /** Send the attempt span's `traceparent` on the POST (`HOOKSTREAM_TRACE_PROPAGATE`). @default false */
  readonly propagateTrace?: boolean;
}

/** Makes the job's attempt (or decides without one) and returns what must follow. */
export async function deliver(job: DeliveryJob, deps: DeliverDeps, signal: AbortSignal): Promise<Decision> {
  const webhook = deps.webhooks.get(job.webhook_id);
  if (webhook === undefined) {
    throw new HookstreamError('STORE_UNAVAILABLE', `webhook ${job.webhook_id} cannot be read yet`);
  }
  if (webhook === null || unsendable(webhook) !== null)
    return decide(job, webhook, null, deps.policy, deps.clock());

  if (deps.beforeAttempt) await deps.beforeAttempt(webhook, job, signal);
  const startedAtMs = deps.clock();
  const headers = deliveryHeaders(job, webhook, deps.headerPrefix, Math.floor(startedAtMs / 1000));
  const span = startAttemptSpan(job, deps.tier); // null when tracing is off
  if (span !== null && deps.propagateTrace === true) headers.traceparent = span.traceparent;
  const result = await deps.http.post(webhook.url, headers, job.body, signal);
  const attempt: Attempt = { tier: deps.tier, startedAtMs, result };
  const decided = decide(job, webhook, attempt, deps.policy, deps.clock());
  // The record says which delivery options applied (header names only, never values).
  const decision = {
    ...decided,
    record: {
      ...decided.record,
      options_applied: {
        filter: job.filter_applied === true,
        headers: Object.keys(webhook.customHeaders),
        rate_limit_per_s: webhook.rateLimitPerS,
      },
      throttled_ms: job.throttled_ms ?? 0,
    },
  } as Decision;
  span?.end(attempt, decision);
  for (const observe of deps.observers ?? []) observe({ job, webhook, attempt, decision });
  return decision;
}
