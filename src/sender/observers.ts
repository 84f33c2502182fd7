/**
 * The observers every sender attaches to its attempts (`deliver.ts`): metrics by tier and outcome
 * class, one log line per failed attempt, and each outcome for the endpoint-health writer.
 */
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import type { AttemptObserver, AttemptReport } from './deliver.js';

export function attemptMetrics(tier: string, clock: () => number): AttemptObserver {
  return ({ job, attempt }) => {
    const { outcome, latencyMs } = attempt.result;
    metrics.attempts.inc({ tier, outcome });
    metrics.attemptDuration.observe({ tier, outcome }, latencyMs / 1000);
    if (outcome === 'success')
      metrics.endToEnd.observe({ tier }, Math.max(0, clock() - Date.parse(job.created_at)) / 1000);
  };
}

export function attemptLog(logger: Logger): AttemptObserver {
  return ({ job, attempt, decision }) => {
    const { outcome, statusCode, latencyMs, error } = attempt.result;
    const fields = {
      event_id: job.event_id,
      delivery_id: job.delivery_id,
      webhook_id: job.webhook_id,
      attempt: job.attempt,
      outcome,
      status: statusCode,
      latency_ms: latencyMs,
    };
    if (outcome === 'success') logger.debug(fields, 'delivered');
    else logger.info({ ...fields, error, next: decision.kind }, 'attempt failed');
  };
}

/** What the endpoint-health observer needs: `WebhookHealthWriter.recordAttempt` (memory only). */
export interface HealthRecorder {
  recordAttempt(webhookId: string, outcome: AttemptReport['attempt']['result']['outcome'], at: Date): void;
}

/**
 * Feeds every attempt's outcome to the endpoint-health writer (auto-disable, issue 13). The time
 * is the attempt's start, so a slow timeout counts when it was sent, not when it gave up.
 */
export function attemptHealth(health: HealthRecorder): AttemptObserver {
  return ({ job, attempt }) =>
    health.recordAttempt(job.webhook_id, attempt.result.outcome, new Date(attempt.startedAtMs));
}
