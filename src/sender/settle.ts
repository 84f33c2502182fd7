/**
 * What follows a decision, in this order: disable the webhook (a 410), write the delivery record,
 * then produce the job to its next tier or the dead-letter topic. `settle` resolves once all of
 * that is stored — the record in MongoDB and the next step acknowledged by Kafka — and only then
 * may the offset commit. The record goes first so a retry's later upsert always finds the record
 * its first insert made (that is why later writes need not carry the body).
 *
 * Nothing here can freeze a partition: a failed disable is logged and the job still goes to the
 * dead-letter topic (its fate is then safely on Kafka); the record and the produce wait for
 * MongoDB and Kafka to answer, retrying, until the consumer stops.
 *
 * Operational events (`core/operational.ts`, on `<prefix>.operational`), acknowledged before the
 * offset may commit, like the dead-letter record:
 * - `delivery.exhausted` after a dead-lettering for `budget_exhausted`, once per dead-lettered
 *   delivery. Its `event_id` is `exhaustedEventId(delivery id, final attempt)`: a sender that
 *   crashes after producing it re-reads the job and produces it again with the same id
 *   (at least once, stable id: consumers dedupe on `event_id`).
 * - `webhook.disabled` (`gone_410`) when this process's 410 disable changed the webhook (a second
 *   410 finds it disabled already and tells nobody again).
 */
import { randomBytes } from 'node:crypto';
import type { KafkaMessage, Message } from 'kafkajs';
import type { TopicNames } from '../config/topics.js';
import type { Decision } from '../core/attempt.js';
import { isHookstreamError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { encodeJob } from '../core/job.js';
import {
  deliveryExhausted,
  exhaustedEventId,
  type OperationalEvent,
  webhookDisabled,
} from '../core/operational.js';
import { untilAcked } from '../kafka/until-acked.js';
import type { DeliveryUpdate } from '../mongo/deliveries.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import { startSettleSpan } from '../observability/spans.js';

export interface SettleDeps {
  readonly names: TopicNames;
  /** The topic's label: `deliveries` or a tier name. */
  readonly tier: string;
  readonly logger: Logger;
  readonly producer: { send(topic: string, message: Message): Promise<void> };
  readonly recorder: { record(update: DeliveryUpdate, signal?: AbortSignal): Promise<void> };
  /**
   * Disables a webhook whose receiver answered 410 Gone; true when this call changed it (false: it
   * was disabled already, and no `webhook.disabled` is published again).
   */
  readonly disableWebhook: (webhookId: string, reason: string) => Promise<boolean>;
  /** Told after this process disabled a webhook (drop it from the cache). */
  readonly onDisabled?: (webhookId: string) => void;
  /** Publishes operational events to `<prefix>.operational`; none are published without it. */
  readonly operational?: { publish(events: readonly OperationalEvent[]): Promise<void> };
  /** Ids of `webhook.disabled` events. @default `opx_` + 16 CSPRNG bytes */
  readonly newEventId?: () => string;
}

const randomEventId = (): string => newId('opx', randomBytes(16));

export class Settler {
  readonly #d: SettleDeps;
  readonly #log: Logger;

  constructor(deps: SettleDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ tier: deps.tier });
  }

  async settle(decision: Decision, signal: AbortSignal): Promise<void> {
    const { record } = decision;
    const ids = {
      event_id: record.event_id,
      delivery_id: record.delivery_id,
      webhook_id: record.webhook_id,
      attempt: record.attempt?.attempt ?? null,
    };
    if (decision.kind === 'disable-then-dead-letter') await this.#disable(record, ids, signal);
    await this.#d.recorder.record(record, signal);
    if (decision.kind === 'succeeded') return;
    if (decision.kind === 'retry') {
      const target = this.#d.names.retry.find((r) => r.tier.name === decision.tier.name);
      if (!target) throw new RangeError(`no retry topic for tier ${decision.tier.name}`);
      const span = startSettleSpan('hookstream.produce', decision.job, target.topic, decision.tier.name);
      await this.#produce(target.topic, { key: record.webhook_id, value: encodeJob(decision.job) }, signal);
      span?.end();
      metrics.retriesScheduled.inc({ from: this.#d.tier, to: decision.tier.name });
      return;
    }
    const span = startSettleSpan(
      'hookstream.dead_letter',
      decision.job,
      this.#d.names.deadLetter,
      decision.reason,
    );
    await this.#produce(
      this.#d.names.deadLetter,
      { key: record.webhook_id, value: encodeJob(decision.job), headers: { ...decision.headers } },
      signal,
    );
    span?.end();
    metrics.deadLettered.inc({ reason: decision.reason });
    this.#log.warn({ ...ids, reason: decision.reason }, 'delivery dead-lettered');
    if (decision.reason === 'budget_exhausted') await this.#publish(exhausted(record), ids, signal);
  }

  async #disable(record: DeliveryUpdate, ids: object, signal: AbortSignal): Promise<void> {
    let changed: boolean;
    try {
      changed = await this.#d.disableWebhook(record.webhook_id, 'gone');
      this.#d.onDisabled?.(record.webhook_id);
      this.#log.warn(ids, 'receiver answered 410 Gone: webhook disabled');
    } catch (err) {
      metrics.webhookDisableFailures.inc();
      this.#log.error(
        { ...ids, err },
        'receiver answered 410 Gone but the webhook could not be disabled (MongoDB unreachable?); the job is dead-lettered, the next 410 tries again',
      );
      return;
    }
    if (!changed) return;
    const event = webhookDisabled({
      eventId: (this.#d.newEventId ?? randomEventId)(),
      now: record.now,
      environment: record.environment,
      webhookId: record.webhook_id,
      reason: 'gone_410',
    });
    await this.#publish(event, ids, signal);
  }

  /** Publishes one operational event, retrying until Kafka acknowledges or `signal` aborts. */
  async #publish(event: OperationalEvent, ids: object, signal: AbortSignal): Promise<void> {
    const operational = this.#d.operational;
    if (!operational) return;
    await untilAcked(
      `operational event ${event.event_type}`,
      () => operational.publish([event]),
      signal,
      this.#log,
    );
    this.#log.info({ ...ids, operational_event_id: event.event_id }, `${event.event_type} published`);
  }

  /** A message that is not a valid job goes to the dead-letter topic as it is, with the reason. */
  async setAside(message: KafkaMessage, err: Error, partition: number, signal: AbortSignal): Promise<void> {
    const code = isHookstreamError(err) ? err.code : 'INVALID_JOB';
    this.#log.error(
      { partition, offset: message.offset, code, error: err.message },
      'malformed job moved to the dead-letter topic',
    );
    await this.#produce(
      this.#d.names.deadLetter,
      {
        key: message.key,
        value: message.value ?? Buffer.alloc(0),
        headers: {
          'hookstream-dead-letter-reason': 'invalid_job',
          'hookstream-error-message': err.message.slice(0, 1_000),
        },
      },
      signal,
    );
    metrics.deadLettered.inc({ reason: 'invalid_job' });
  }

  /** Produces, retrying until Kafka acknowledges; rejects only when `signal` aborts. */
  async #produce(topic: string, message: Message, signal: AbortSignal): Promise<void> {
    await untilAcked(topic, () => this.#d.producer.send(topic, message), signal, this.#log);
  }
}

/** The `delivery.exhausted` of a delivery dead-lettered for `budget_exhausted` (stable id). */
function exhausted(record: DeliveryUpdate): OperationalEvent {
  const last = record.attempt;
  return deliveryExhausted({
    eventId: exhaustedEventId(record.delivery_id, record.attempts),
    now: record.now,
    environment: record.environment,
    deliveryId: record.delivery_id,
    webhookId: record.webhook_id,
    domainEventId: record.event_id,
    eventType: record.event_type,
    attempts: record.attempts,
    failureReason: record.failure_reason ?? 'budget_exhausted',
    lastError: last && {
      outcome: last.outcome,
      status_code: last.status_code,
      error: last.error,
      at: last.at,
    },
  });
}
