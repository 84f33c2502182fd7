/**
 * A commit-after-produce consumer: the handler of a batch produces whatever the batch's records
 * lead to, waits for Kafka's acknowledgement, and says up to which offset that is done; only then
 * is that offset committed. The router is built on it (the senders' equivalent is due-consumer.ts).
 *
 * - Subscribes to the topics that exist, and restarts to subscribe to the others when they appear.
 * - Commits are pipelined: a batch's handler returns once its outputs are acknowledged, and its
 *   offset is committed in the background, together with those of the other partitions (one
 *   OffsetCommit request at a time: the group coordinator serialises a group's commits). A commit
 *   that fails or is lost in a crash costs duplicates, never a lost record.
 * - A handler may ask for its partition to be re-read from the first record not done after a pause
 *   (`retryAfterMs`, e.g. the broker or the schema registry is down), without throwing, so the
 *   consumer's other partitions are not disturbed.
 * - On shutdown, and before a restart, batches in hand finish, everything done is committed, and
 *   only then is the group left.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { OffsetCommitter, type TopicPartitionOffset } from './offset-committer.js';
import { resumeLater } from './pauses.js';
import { consumerConfig, type KafkaTunables } from './tunables.js';

export interface RoutingBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** Call at least once per session timeout while handling a long batch. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition moved away: stop early. */
  isActive(): boolean;
}

export interface BatchOutcome {
  /** Offset of the last record whose outputs are all acknowledged; null when none. */
  readonly last: string | null;
  /** Re-read the partition from the record after `last` once this long has passed, milliseconds. */
  readonly retryAfterMs?: number;
}

export interface RoutingConsumerOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly tunables: KafkaTunables;
  readonly logger: Logger;
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly handle: (batch: RoutingBatch) => Promise<BatchOutcome>;
  /** How often to look for subscribed topics that did not exist yet, milliseconds. @default 5_000 */
  readonly topicPollMs?: number;
}

/** One consumer and what it has done but maybe not committed yet. */
interface ConsumerState {
  readonly consumer: Consumer;
  readonly committer: OffsetCommitter;
  /** Next offset to read per `topic\0partition` whose outputs Kafka acknowledged. */
  readonly done: Map<string, TopicPartitionOffset>;
  /** Batches being handled now. */
  active: number;
  /** Set when the consumer is being stopped: batches still handed over are left for the next owner. */
  draining: boolean;
}

export class RoutingConsumer {
  readonly #opts: RoutingConsumerOptions;
  readonly #log: Logger;
  readonly #topicPollMs: number;
  #current: ConsumerState | null = null;
  #subscribed = new Set<string>();
  #topicTimer: NodeJS.Timeout | null = null;
  #joined = false;
  #closed = false;
  #restarting: Promise<void> = Promise.resolve();

  constructor(opts: RoutingConsumerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#topicPollMs = opts.topicPollMs ?? 5_000;
  }

  /** Joined its group, or waiting for its topics to exist. */
  get ready(): boolean {
    return this.#joined || this.#subscribed.size === 0;
  }

  async start(): Promise<void> {
    await this.#subscribeExisting();
    this.#pollTopics();
  }

  /** (Re)starts the consumer on every topic that exists now. */
  async #subscribeExisting(): Promise<void> {
    const existing = new Set(await this.#opts.admin.listTopics());
    const present = this.#opts.topics.filter((t) => existing.has(t));
    const missing = this.#opts.topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      this.#log.warn({ topics: missing }, 'topics do not exist yet; subscribing when they appear');
    }
    if (present.length === 0 || present.every((t) => this.#subscribed.has(t))) return;
    if (this.#current) {
      this.#log.info({ topics: present }, 'new topics appeared; restarting the consumer to subscribe');
      await this.#stopConsumer();
    }
    const consumer = this.#opts.kafka.consumer(consumerConfig(this.#opts.groupId, this.#opts.tunables));
    const state: ConsumerState = {
      consumer,
      committer: new OffsetCommitter((offsets) => consumer.commitOffsets(offsets)),
      done: new Map(),
      active: 0,
      draining: false,
    };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.#joined = true;
      // Partitions that moved to another member: never commit for them again.
      const assignment = e.payload.memberAssignment;
      for (const [key, tp] of state.done) {
        if (!assignment[tp.topic]?.includes(tp.partition)) state.done.delete(key);
      }
      this.#log.info({ assignment }, 'joined the consumer group');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.#joined = false;
      this.#log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: present, fromBeginning: true });
    // The batches of one fetch are handled together: the next fetch waits for the slowest.
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.#opts.tunables.partitionsConsumedConcurrently,
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

  async #handleBatch(state: ConsumerState, payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const { topic, partition } = batch;
    const outcome = await this.#opts.handle({
      topic,
      partition,
      messages: batch.messages,
      heartbeat,
      isActive: () => isRunning() && !isStale() && !state.draining,
    });
    if (outcome.last !== null) {
      const next: TopicPartitionOffset = { topic, partition, offset: String(BigInt(outcome.last) + 1n) };
      state.done.set(`${topic}\0${partition}`, next);
      state.committer.commit(topic, partition, next.offset).catch((err: unknown) => {
        // A later commit of this partition (or the final one) carries the offset again.
        this.#log.debug({ err, topic, partition }, 'offset commit failed');
      });
      // The fetch position follows resolved offsets.
      resolveOffset(outcome.last);
    }
    if (outcome.retryAfterMs !== undefined) {
      const { consumer } = state;
      consumer.pause([{ topic, partitions: [partition] }]);
      resumeLater(() => consumer.resume([{ topic, partitions: [partition] }]), outcome.retryAfterMs);
    }
  }

  /**
   * Stops fetching, lets the batches in hand finish (their outputs acknowledged), commits
   * everything done, then leaves the group.
   */
  async #stopConsumer(): Promise<void> {
    const state = this.#current;
    if (!state) return;
    this.#current = null;
    state.draining = true;
    state.consumer.pause([...this.#subscribed].map((topic) => ({ topic })));
    while (state.active > 0) await new Promise((r) => setTimeout(r, 10));
    const offsets = [...state.done.values()];
    try {
      await Promise.all(offsets.map((o) => state.committer.commit(o.topic, o.partition, o.offset)));
    } catch (err) {
      this.#log.warn({ err }, 'final commit failed; the next owner re-reads the last records (duplicates)');
    }
    await state.consumer.disconnect();
  }

  #pollTopics(): void {
    if (this.#closed || this.#subscribed.size === this.#opts.topics.length) return;
    this.#topicTimer = setTimeout(() => {
      this.#restarting = this.#restarting
        .then(() => (this.#closed ? undefined : this.#subscribeExisting()))
        .catch((err: unknown) => this.#log.warn({ err }, 'checking for new topics failed; will retry'))
        .finally(() => this.#pollTopics());
    }, this.#topicPollMs);
    this.#topicTimer.unref();
  }

  /** Idempotent: finishes the batches in hand, commits, leaves the group. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#topicTimer) clearTimeout(this.#topicTimer);
    await this.#restarting;
    await this.#stopConsumer();
  }
}
