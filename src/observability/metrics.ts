/**
 * Prometheus metrics (prom-client). Names follow Prometheus conventions: `hookstream_` prefix,
 * `_total` counters, `_seconds` durations. Labels are bounded: tier, outcome class, reason, role —
 * never a URL or a webhook id (those belong in logs).
 *
 * prom-client's default process and Node.js metrics keep their standard names
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, …)
 * so that stock dashboards and alerts find them.
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/**
 * One HTTP attempt, seconds. Receivers mostly answer in 50 ms–2 s; the attempt timeout is 10 s by
 * default and at most 120 s (HOOKSTREAM_DELIVERY_TIMEOUT_MS), so the buckets are dense from 25 ms
 * to 2.5 s (where p50/p95/p99 fall) and end at the largest possible timeout.
 */
const ATTEMPT_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 15, 30, 60, 120];

/**
 * Event `created_at` to the 2xx, seconds. First attempts land in 10 ms–10 s (routing + one
 * attempt); retried deliveries land near the tier delays (default 1m, 10m, 1h, 6h) and the 24 h
 * budget, so the upper buckets follow those delays instead of a geometric series.
 */
const END_TO_END_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600, 7200, 21600, 43200,
  86400,
];

/** Attempt start minus due time, seconds: ms when healthy, up to hours when a tier falls behind. */
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600];

/** hookstream's version from package.json (one level above src/ and dist/). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Always 1; its labels say which build runs (and every scraped role has one). */
export const buildInfo = new Gauge({
  name: 'hookstream_build_info',
  help: 'Always 1: the hookstream version and the Node.js version of this process.',
  labelNames: ['version', 'node_version'] as const,
  registers: [registry],
});
buildInfo.set({ version: packageVersion(), node_version: process.version }, 1);

export const metrics = {
  attempts: new Counter({
    name: 'hookstream_attempts_total',
    help: 'Delivery attempts by tier (deliveries = first attempt) and outcome class.',
    labelNames: ['tier', 'outcome'] as const,
    registers: [registry],
  }),
  attemptDuration: new Histogram({
    name: 'hookstream_attempt_duration_seconds',
    help: 'Duration of one HTTP attempt, by tier and outcome class.',
    labelNames: ['tier', 'outcome'] as const,
    buckets: ATTEMPT_BUCKETS,
    registers: [registry],
  }),
  retriesScheduled: new Counter({
    name: 'hookstream_retries_scheduled_total',
    help: 'Jobs moved to a retry tier, by the tier they failed in and the tier they go to.',
    labelNames: ['from', 'to'] as const,
    registers: [registry],
  }),
  deadLettered: new Counter({
    name: 'hookstream_dead_lettered_total',
    help: 'Jobs written to the dead-letter topic, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  eventsRouted: new Counter({
    name: 'hookstream_events_routed_total',
    help: 'Domain events the router decoded and validated.',
    registers: [registry],
  }),
  eventsMatched: new Counter({
    name: 'hookstream_events_matched_total',
    help: 'Delivery jobs produced by the router (one per matching webhook).',
    registers: [registry],
  }),
  throttleHeld: new Gauge({
    name: 'hookstream_throttle_held',
    help: 'Jobs of rate-limited webhooks held in memory until their turn (not attempts).',
    registers: [registry],
  }),
  throttleDeferrals: new Counter({
    name: 'hookstream_throttle_deferrals_total',
    help: 'Jobs of rate-limited webhooks re-produced, not as attempts, to a retry tier to wait there.',
    labelNames: ['tier'] as const,
    registers: [registry],
  }),
  throttleForwards: new Counter({
    name: 'hookstream_throttle_forwards_total',
    help: 'Due retries of rate-limited webhooks forwarded to the first-attempt topic, whose one pacer sends them.',
    labelNames: ['from'] as const,
    registers: [registry],
  }),
  routerFiltered: new Counter({
    name: 'hookstream_router_filtered_total',
    help: 'Webhooks that subscribed to an event but whose payload filter refused it (no job).',
    registers: [registry],
  }),
  eventsUnmatched: new Counter({
    name: 'hookstream_events_unmatched_total',
    help: 'Valid domain events that matched no webhook.',
    registers: [registry],
  }),
  eventsDuplicate: new Counter({
    name: 'hookstream_events_duplicate_total',
    help: 'Domain events skipped because the same (environment, event_id) was routed within HOOKSTREAM_DEDUPE_WINDOW.',
    registers: [registry],
  }),
  eventsInvalid: new Counter({
    name: 'hookstream_events_invalid_total',
    help: 'Domain events quarantined to events.invalid, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  endToEnd: new Histogram({
    name: 'hookstream_end_to_end_seconds',
    help: 'Event created_at to the 2xx of its delivery, by tier of the successful attempt.',
    labelNames: ['tier'] as const,
    buckets: END_TO_END_BUCKETS,
    registers: [registry],
  }),
  lateness: new Histogram({
    name: 'hookstream_dispatch_lateness_seconds',
    help: 'Attempt start minus the job due time, by tier (negative values are clamped to 0).',
    labelNames: ['tier'] as const,
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  }),
  inFlight: new Gauge({
    name: 'hookstream_in_flight_attempts',
    help: 'HTTP attempts in flight, by tier.',
    labelNames: ['tier'] as const,
    registers: [registry],
  }),
  pausedPartitions: new Gauge({
    name: 'hookstream_paused_partitions',
    help: 'Partitions paused because their head job is not due yet, by tier.',
    labelNames: ['tier'] as const,
    registers: [registry],
  }),
  deliveryRecordsPending: new Gauge({
    name: 'hookstream_delivery_records_pending',
    help: 'Delivery record writes buffered, waiting for MongoDB.',
    registers: [registry],
  }),
  deliveryRecordBytes: new Gauge({
    name: 'hookstream_delivery_record_bytes_pending',
    help: 'Bytes of delivery record writes waiting for MongoDB (bounded; senders stall beyond it).',
    registers: [registry],
  }),
  senderInflightBytes: new Gauge({
    name: 'hookstream_sender_inflight_bytes',
    help: 'Bytes of jobs in flight in this sender process (bounded by HOOKSTREAM_SENDER_MAX_INFLIGHT_BYTES).',
    registers: [registry],
  }),
  webhookDisableFailures: new Counter({
    name: 'hookstream_webhook_disable_failures_total',
    help: 'Webhooks that answered 410 Gone but could not be disabled (the job is dead-lettered anyway).',
    registers: [registry],
  }),
  deliveryRecordFailures: new Counter({
    name: 'hookstream_delivery_record_write_failures_total',
    help: 'Failed MongoDB bulk writes of delivery records (retried).',
    registers: [registry],
  }),
  webhooksIndexed: new Gauge({
    name: 'hookstream_webhooks_indexed',
    help: 'Enabled webhooks in the router index.',
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'hookstream_consumer_lag',
    help: 'Messages not yet consumed (end offset minus committed offset), by group, topic and partition.',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
  }),
  tierOverdue: new Gauge({
    name: 'hookstream_tier_overdue_seconds',
    help: 'Now minus the due time of the oldest job not yet attempted, by tier (deliveries = first attempts); 0 when nothing is due.',
    labelNames: ['tier'] as const,
    registers: [registry],
  }),
  webhookRefreshFailures: new Counter({
    name: 'hookstream_webhook_refresh_failures_total',
    help: 'Failed polls of MongoDB for changed webhooks (routing continues from the cache).',
    registers: [registry],
  }),
};
