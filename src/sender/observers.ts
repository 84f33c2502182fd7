/**
 * The observers every sender attaches to its attempts (`deliver.ts`): metrics by tier and outcome
 * class, and one log line per failed attempt. A per-webhook failure tracker plugs in the same way.
 */
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import type { AttemptObserver } from './deliver.js';

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
