/**
 * A sender consumes one topic — `<prefix>.deliveries` (first attempts) or one retry tier — in its
 * own consumer group. It is a `DueConsumer` (Kafka: due times, window, commits) whose handler
 * delivers each job (`deliver.ts`: sign, POST, decide) and settles the decision (`settle.ts`:
 * record, next tier or dead letter). Everything long-lived (HTTP agent, producer, recorder, webhook
 * cache, byte budget) is shared by the senders of a process and passed in.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { TopicNames } from '../config/topics.js';
import { unsendable } from '../core/attempt.js';
import { type DeliveryJob, decodeJob } from '../core/job.js';
import { throttleLane } from '../core/rate-limit.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { HttpPoster } from '../http/post.js';
import { DueConsumer } from '../kafka/due-consumer.js';
import type { Budget } from '../kafka/in-flight.js';
import type { KafkaTunables } from '../kafka/tunables.js';
import type { Logger } from '../observability/logger.js';
import { type AttemptObserver, deliver } from './deliver.js';
import { attemptLog, attemptMetrics } from './observers.js';
import { type SettleDeps, Settler } from './settle.js';
import { Throttle } from './throttle.js';
import type { WebhookCache } from './webhook-cache.js';

export interface SenderOptions {
  kafka: Kafka;
  tunables: KafkaTunables;
  logger: Logger;
  /** Which topic this sender consumes: `deliveries` or a tier name. */
  tier: string;
  topic: string;
  groupId: string;
  names: TopicNames;
  policy: RetryPolicy;
  producer: SettleDeps['producer'];
  recorder: SettleDeps['recorder'];
  webhooks: WebhookCache;
  http: HttpPoster;
  /** Bytes of jobs in flight, shared by the senders of the process. */
  bytes: Budget;
  /** Disables a webhook whose receiver answered 410 Gone (true: this call changed it). */
  disableWebhook: SettleDeps['disableWebhook'];
  /** Operational events (`delivery.exhausted`, `webhook.disabled` on a 410). @default none */
  operational?: SettleDeps['operational'];
  headerPrefix: string;
  /** Attempts on the wire for less than `slowAfterMs`, at most (the window). */
  concurrency: number;
  /** @see InFlightOptions.slowWindow @default 16 × concurrency (SLOW_LANE_FACTOR) */
  slowConcurrency?: number;
  /** @see InFlightOptions.slowAfterMs @default 250 */
  slowAfterMs?: number;
  /** Wait before retrying jobs whose webhook cannot be read (MongoDB down), milliseconds. @default 2_000 */
  storeRetryMs?: number;
  /** Send each attempt's W3C `traceparent` on the POST when tracing is on. @default false */
  propagateTrace?: boolean;
  /** Extra observers of each attempt (a failure tracker, say), after metrics and logs. */
  observers?: readonly AttemptObserver[];
  /** @default Date.now */
  clock?: () => number;
}

export class Sender {
  readonly #consumer: DueConsumer<DeliveryJob>;
  readonly #log: Logger;

  constructor(o: SenderOptions) {
    const logger = o.logger.child({ role: 'sender', tier: o.tier });
    this.#log = logger;
    const clock = o.clock ?? Date.now;
    const deps = {
      webhooks: o.webhooks,
      http: o.http,
      clock,
      policy: o.policy,
      tier: o.tier,
      headerPrefix: o.headerPrefix,
      propagateTrace: o.propagateTrace ?? false,
      observers: [attemptMetrics(o.tier, clock), attemptLog(logger), ...(o.observers ?? [])],
    };
    const settler = new Settler({
      names: o.names,
      tier: o.tier,
      logger,
      producer: o.producer,
      recorder: o.recorder,
      disableWebhook: o.disableWebhook,
      onDisabled: (id) => o.webhooks.invalidate(id),
      ...(o.operational ? { operational: o.operational } : {}),
    });
    const storeRetryMs = o.storeRetryMs ?? 2_000;
    const limitOf = (id: string): number | null => {
      const webhook = o.webhooks.get(id);
      return webhook && unsendable(webhook) === null ? webhook.rateLimitPerS : null;
    };
    const firstAttempts = o.topic === o.names.deliveries;
    const throttle = new Throttle({
      deliveriesTopic: o.names.deliveries,
      tiers: o.names.retry,
      label: o.tier,
      producer: o.producer,
      limitOf,
      logger,
      clock,
      // Held bodies per partition: an eighth of the process's in-flight bytes.
      maxHeldBytes: Math.floor(o.bytes.limit / 8),
    });
    this.#consumer = new DueConsumer<DeliveryJob>({
      kafka: o.kafka,
      tunables: o.tunables,
      logger,
      topic: o.topic,
      groupId: o.groupId,
      label: o.tier,
      bytes: o.bytes,
      window: o.concurrency,
      ...(o.slowConcurrency === undefined ? {} : { slowWindow: o.slowConcurrency }),
      ...(o.slowAfterMs === undefined ? {} : { slowAfterMs: o.slowAfterMs }),
      clock,
      handler: {
        decode: (message: KafkaMessage) => decodeJob(message.value ?? Buffer.alloc(0)),
        dueAtMs: (job) => job.due_at,
        prepare: async (jobs, nowMs) =>
          void (await o.webhooks.refresh(
            jobs.map((j) => j.webhook_id),
            nowMs,
          )),
        holdMs: (job) => {
          if (o.webhooks.get(job.webhook_id) !== undefined) return 0;
          logger.warn(
            { event_id: job.event_id, delivery_id: job.delivery_id, webhook_id: job.webhook_id },
            'webhook cannot be read (MongoDB unreachable?); the job waits and is retried',
          );
          return storeRetryMs;
        },
        handle: async (job, ctx) => {
          // Rate limits (throttle.ts): a limited webhook's retries are forwarded to the one pacer.
          const limit = limitOf(job.webhook_id);
          const lane = throttleLane(limit, firstAttempts ? 'first_attempt' : 'tier');
          if (lane === 'forward') return throttle.forward(job);
          const paced = lane === 'pace' ? await throttle.pace(job, limit!, ctx.partition, ctx) : job;
          if (paced === null) return; // deferred to a tier, or dropped with its revoked partition
          const started = async () => throttle.started(paced, ctx.partition);
          let decision: Awaited<ReturnType<typeof deliver>>;
          try {
            decision = await deliver(
              paced,
              lane === 'pace' ? { ...deps, beforeAttempt: started } : deps,
              ctx.signal,
            );
          } finally {
            if (lane === 'pace') throttle.finished(paced, ctx.partition);
          }
          ctx.attempted();
          await settler.settle(decision, ctx.signal);
        },
        revoked: (partitions) => throttle.revoked(partitions),
        reject: (message, err, partition, signal) => settler.setAside(message, err, partition, signal),
      },
    });
  }

  get ready(): boolean {
    return this.#consumer.ready;
  }

  get inFlight(): number {
    return this.#consumer.inFlight;
  }

  start(): Promise<void> {
    return this.#consumer.start();
  }

  /** Stops fetching, lets running jobs settle, commits, leaves the group. */
  async close(): Promise<void> {
    const { inFlightAtStop, drained, committed } = await this.#consumer.close();
    const fields = { in_flight_at_stop: inFlightAtStop, committed };
    if (drained)
      this.#log.info(
        fields,
        'sender stopped: in-flight attempts finished, outcomes recorded and produced, offsets committed',
      );
    else
      this.#log.warn(
        fields,
        'sender stopped: some jobs did not settle in time and stay uncommitted; the next owner re-reads them',
      );
  }
}
