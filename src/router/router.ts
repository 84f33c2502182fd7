/**
 * The router: domain events → one delivery job per matching webhook, on `<prefix>.deliveries`,
 * keyed by webhook id. Undecodable or invalid events, and events whose job Kafka could not carry,
 * go to `<prefix>.events.invalid` with the reason in headers; the router never stops on bad input.
 * Offsets are committed only after Kafka acknowledged everything produced for them (the routing
 * consumer); an event repeated within the dedupe window is routed once.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import { RoutingConsumer } from '../kafka/routing-consumer.js';
import { smallestMaxMessageBytes } from '../kafka/topics.js';
import { type KafkaTunables, maxJobBytes } from '../kafka/tunables.js';
import type { EventDedupe } from '../mongo/dedupe.js';
import type { Logger } from '../observability/logger.js';
import type { EventDecoder } from './decode.js';
import type { LiveWebhookIndex } from './live-index.js';
import { BatchRouter } from './route-batch.js';

export interface RouterOptions {
  kafka: Kafka;
  tunables: KafkaTunables;
  logger: Logger;
  decoder: EventDecoder;
  webhooks: LiveWebhookIndex;
  /** null: no ingest deduplication. */
  dedupe: EventDedupe | null;
  eventTopics: readonly string[];
  groupId: string;
  deliveriesTopic: string;
  invalidTopic: string;
  /** Every topic a job may be written to later (tiers, dead letter): jobs must fit all of them. */
  jobTopics: readonly string[];
  /** How often to look for event topics that did not exist yet, milliseconds. @default 5_000 */
  topicPollMs?: number;
  /** Pause before retrying a partition after a retriable error, milliseconds. @default 2_000 */
  retryDelayMs?: number;
}

export class Router {
  readonly #opts: RouterOptions;
  readonly #log: Logger;
  #admin: Admin | null = null;
  #producer: Producer | null = null;
  #consumer: RoutingConsumer | null = null;
  #closed = false;

  constructor(opts: RouterOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ role: 'router' });
  }

  /** Joined its group (or waiting for event topics to exist) with a loaded webhook index. */
  get ready(): boolean {
    return this.#opts.webhooks.loaded && (this.#consumer?.ready ?? false);
  }

  async start(): Promise<void> {
    const { kafka, tunables } = this.#opts;
    this.#admin = kafka.admin();
    await this.#admin.connect();
    this.#producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await this.#producer.connect();
    const limit = maxJobBytes(tunables, await this.#topicLimit());
    this.#log.info({ max_job_bytes: limit }, 'router sizes delivery jobs to the topics they go to');
    const batches = new BatchRouter({
      producer: this.#producer,
      logger: this.#log,
      decoder: this.#opts.decoder,
      webhooks: this.#opts.webhooks,
      dedupe: this.#opts.dedupe,
      deliveriesTopic: this.#opts.deliveriesTopic,
      invalidTopic: this.#opts.invalidTopic,
      limits: { maxJobBytes: limit },
      budgetBytes: tunables.maxProduceRequestBytes,
      retryDelayMs: this.#opts.retryDelayMs ?? 2_000,
      // A fifth of the session: the batch still heartbeats in time after a lookup and a write.
      dedupeTimeoutMs: Math.max(500, Math.floor(tunables.sessionTimeoutMs / 5)),
      now: Date.now,
    });
    this.#consumer = new RoutingConsumer({
      kafka,
      admin: this.#admin,
      tunables,
      logger: this.#log,
      topics: this.#opts.eventTopics,
      groupId: this.#opts.groupId,
      handle: (batch) => batches.handle(batch),
      ...(this.#opts.topicPollMs === undefined ? {} : { topicPollMs: this.#opts.topicPollMs }),
    });
    await this.#consumer.start();
  }

  /** The smallest `max.message.bytes` of the job topics as the broker has them; the table's when unknown. */
  async #topicLimit(): Promise<number> {
    const topics = [this.#opts.deliveriesTopic, ...this.#opts.jobTopics];
    try {
      const smallest = await smallestMaxMessageBytes(this.#admin!, topics);
      if (smallest !== null) return smallest;
    } catch (err) {
      this.#log.warn({ err }, 'cannot read max.message.bytes of the job topics; using the tunables table');
    }
    return this.#opts.tunables.maxMessageBytes;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#consumer?.close();
    await this.#producer?.disconnect();
    await this.#admin?.disconnect();
    this.#opts.webhooks.close();
    this.#log.info('router stopped: in-flight batches produced and committed');
  }
}
