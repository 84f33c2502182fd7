/**
 * The router: domain events → one delivery job per matching webhook, on `<prefix>.deliveries`,
 * keyed by webhook id. Undecodable or invalid events go to `<prefix>.events.invalid` with the
 * reason in headers. Offsets are committed only after Kafka acknowledged everything produced for
 * them; the router never stops on bad input.
 *
 * Commits are pipelined: a batch's handler returns once its jobs are acknowledged, and its offset
 * is committed in the background, together with those of the other partitions (one OffsetCommit
 * request at a time: Kafka's group coordinator serialises a group's commits). A commit that fails
 * or is lost in a crash costs duplicates, never a lost event. On shutdown, and before the consumer
 * is restarted, everything produced is committed before the group is left.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { Envelope } from '../core/envelope.js';
import { serializeEnvelope } from '../core/envelope.js';
import { HookstreamError, isHookstreamError } from '../core/errors.js';
import { encodeJob, firstJob } from '../core/job.js';
import { OffsetCommitter, type TopicPartitionOffset } from '../kafka/offset-committer.js';
import { consumerConfig, type KafkaTunables } from '../kafka/tunables.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import type { EventDecoder } from './decode.js';
import type { LiveWebhookIndex } from './live-index.js';

export interface RouterOptions {
  kafka: Kafka;
  tunables: KafkaTunables;
  logger: Logger;
  decoder: EventDecoder;
  webhooks: LiveWebhookIndex;
  eventTopics: readonly string[];
  groupId: string;
  deliveriesTopic: string;
  invalidTopic: string;
  /** How often to look for event topics that did not exist yet, milliseconds. @default 5_000 */
  topicPollMs?: number;
  /** Pause before retrying a batch that hit a retriable error, milliseconds. @default 2_000 */
  retryDelayMs?: number;
}

/** One consumer and what it has produced but maybe not committed yet. */
interface ConsumerState {
  readonly consumer: Consumer;
  readonly committer: OffsetCommitter;
  /** Next offset to read per `topic\0partition` whose jobs Kafka acknowledged. */
  readonly acked: Map<string, TopicPartitionOffset>;
  /** Batches being handled now. */
  active: number;
  /** Set when the consumer is being stopped: batches still handed over are left for the next owner. */
  draining: boolean;
}

/** Largest sum of message bytes sent in one produce request (the broker's default limit is 1 MiB per batch). */
const MAX_SEND_BYTES = 768 * 1024;

export class Router {
  readonly #o: Required<RouterOptions>;
  readonly #log: Logger;
  #admin: Admin | null = null;
  #producer: Producer | null = null;
  #current: ConsumerState | null = null;
  #subscribed = new Set<string>();
  #topicTimer: NodeJS.Timeout | null = null;
  #joined = false;
  #closed = false;
  #restarting: Promise<void> = Promise.resolve();

  constructor(opts: RouterOptions) {
    this.#o = { topicPollMs: 5_000, retryDelayMs: 2_000, ...opts };
    this.#log = opts.logger.child({ role: 'router' });
  }

  /** Joined its group (or waiting for event topics to exist) with a loaded webhook index. */
  get ready(): boolean {
    return this.#o.webhooks.loaded && (this.#joined || this.#subscribed.size === 0);
  }

  async start(): Promise<void> {
    this.#admin = this.#o.kafka.admin();
    await this.#admin.connect();
    this.#producer = this.#o.kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await this.#producer.connect();
    await this.#subscribeExisting();
    this.#pollTopics();
  }

  /** (Re)starts the consumer on every event topic that exists now. */
  async #subscribeExisting(): Promise<void> {
    const existing = new Set(await this.#admin!.listTopics());
    const present = this.#o.eventTopics.filter((t) => existing.has(t));
    const missing = this.#o.eventTopics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      this.#log.warn(
        { topics: missing },
        'event topics do not exist yet; the router will subscribe when they appear',
      );
    }
    if (present.length === 0 || present.every((t) => this.#subscribed.has(t))) return;
    if (this.#current) {
      this.#log.info({ topics: present }, 'new event topics appeared; restarting the consumer to subscribe');
      await this.#stopConsumer();
    }
    const consumer = this.#o.kafka.consumer(consumerConfig(this.#o.groupId, this.#o.tunables));
    const state: ConsumerState = {
      consumer,
      committer: new OffsetCommitter((offsets) => consumer.commitOffsets(offsets)),
      acked: new Map(),
      active: 0,
      draining: false,
    };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.#joined = true;
      // Partitions that moved to another member: never commit for them again.
      const assignment = e.payload.memberAssignment;
      for (const [key, tp] of state.acked) {
        if (!assignment[tp.topic]?.includes(tp.partition)) state.acked.delete(key);
      }
      this.#log.info({ assignment }, 'router joined its consumer group');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.#joined = false;
      this.#log.error({ err: e.payload.error, restart: e.payload.restart }, 'router consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: present, fromBeginning: true });
    // The batches of one fetch are handled together: the next fetch waits for the slowest.
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 64,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        if (state.draining) return;
        state.active++;
        try {
          await this.#handleBatch(state, payload);
        } finally {
          state.active--;
        }
      },
    });
    this.#current = state;
    this.#subscribed = new Set(present);
  }

  /**
   * Stops fetching, lets the batches in hand finish (their jobs acknowledged), commits everything
   * produced, then leaves the group.
   */
  async #stopConsumer(): Promise<void> {
    const state = this.#current;
    if (!state) return;
    this.#current = null;
    state.draining = true;
    state.consumer.pause([...this.#subscribed].map((topic) => ({ topic })));
    while (state.active > 0) await new Promise((r) => setTimeout(r, 10));
    const offsets = [...state.acked.values()];
    try {
      await Promise.all(offsets.map((o) => state.committer.commit(o.topic, o.partition, o.offset)));
    } catch (err) {
      this.#log.warn({ err }, 'final commit failed; the next owner re-routes the last events (duplicates)');
    }
    await state.consumer.disconnect();
  }

  #pollTopics(): void {
    if (this.#closed || this.#subscribed.size === this.#o.eventTopics.length) return;
    this.#topicTimer = setTimeout(() => {
      this.#restarting = this.#restarting
        .then(() => (this.#closed ? undefined : this.#subscribeExisting()))
        .catch((err: unknown) => this.#log.warn({ err }, 'checking for new event topics failed; will retry'))
        .finally(() => this.#pollTopics());
    }, this.#o.topicPollMs);
    this.#topicTimer.unref();
  }

  async #handleBatch(state: ConsumerState, payload: EachBatchPayload): Promise<void> {
    const { consumer } = state;
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const { topic, partition } = batch;
    const jobs: Message[] = [];
    const invalid: Message[] = [];
    let last: string | null = null;
    const now = Date.now();

    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = message.offset;
      let envelope: Envelope;
      try {
        envelope = await this.#o.decoder.decode(message.value, Number(message.timestamp));
      } catch (err) {
        if (isHookstreamError(err) && err.retriable) {
          // e.g. the schema registry is down: keep everything before this record, retry from it.
          this.#log.warn(
            { err, topic, partition, offset },
            'cannot decode event right now; will retry this record',
          );
          await this.#flush(state, topic, partition, jobs, invalid, last, heartbeat);
          if (last !== null) resolveOffset(last);
          consumer.pause([{ topic, partitions: [partition] }]);
          setTimeout(
            () => consumer.resume([{ topic, partitions: [partition] }]),
            this.#o.retryDelayMs,
          ).unref();
          return;
        }
        invalid.push(this.#quarantine(err, message, topic, partition));
        last = offset;
        continue;
      }
      metrics.eventsRouted.inc();
      const body = serializeEnvelope(envelope);
      const matches = this.#o.webhooks.index.match(envelope.environment, envelope.event_type);
      if (matches.length === 0) metrics.eventsUnmatched.inc();
      for (const webhookId of matches) {
        const job = firstJob(envelope, webhookId, now, body);
        jobs.push({ key: webhookId, value: encodeJob(job), timestamp: String(now) });
      }
      last = offset;
    }
    await this.#flush(state, topic, partition, jobs, invalid, last, heartbeat);
    // The fetch position follows resolved offsets: resolve what was committed.
    if (last !== null) resolveOffset(last);
  }

  #quarantine(
    err: unknown,
    message: EachBatchPayload['batch']['messages'][number],
    topic: string,
    partition: number,
  ): Message {
    const e = isHookstreamError(err)
      ? err
      : new HookstreamError('UNDECODABLE_EVENT', String((err as Error)?.message ?? err), { cause: err });
    const reason = String(e.details?.reason ?? e.code.toLowerCase());
    metrics.eventsInvalid.inc({ reason: e.code.toLowerCase() });
    this.#log.warn(
      { topic, partition, offset: message.offset, code: e.code, reason, error: e.message },
      'event quarantined to events.invalid',
    );
    return {
      key: message.key,
      value: message.value,
      headers: {
        'hookstream-error-code': e.code,
        'hookstream-error-reason': reason,
        'hookstream-error-message': e.message.slice(0, 1_000),
        'hookstream-source-topic': topic,
        'hookstream-source-partition': String(partition),
        'hookstream-source-offset': message.offset,
      },
    };
  }

  /** Produces jobs and quarantined events (acks=-1), then commits up to `last` in the background. */
  async #flush(
    state: ConsumerState,
    topic: string,
    partition: number,
    jobs: Message[],
    invalid: Message[],
    last: string | null,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    if (last === null) return;
    const producer = this.#producer!;
    for (const chunk of chunks(jobs)) {
      await producer.send({ topic: this.#o.deliveriesTopic, acks: -1, messages: chunk });
      metrics.eventsMatched.inc(chunk.length);
      await heartbeat();
    }
    for (const chunk of chunks(invalid)) {
      await producer.send({ topic: this.#o.invalidTopic, acks: -1, messages: chunk });
    }
    const next: TopicPartitionOffset = { topic, partition, offset: String(BigInt(last) + 1n) };
    state.acked.set(`${topic}\0${partition}`, next);
    state.committer.commit(topic, partition, next.offset).catch((err: unknown) => {
      // A later commit of this partition (or the final one) carries the offset again.
      this.#log.debug({ err, topic, partition }, 'offset commit failed');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#topicTimer) clearTimeout(this.#topicTimer);
    await this.#restarting;
    await this.#stopConsumer();
    await this.#producer?.disconnect();
    await this.#admin?.disconnect();
    this.#o.webhooks.close();
    this.#log.info('router stopped: in-flight batches produced and committed');
  }
}

function* chunks(messages: Message[]): Generator<Message[]> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = (m.value as Buffer | null)?.length ?? 0;
    if (chunk.length > 0 && bytes + size > MAX_SEND_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
