/**
 * The probe behind the lag collector: a consumer that never commits and reads, when asked, the job
 * at a given offset of each partition (the head), for its `due_at`. In a group of its own it holds
 * every partition; in an owner group (lag-owner.ts) only the owner holds any, and `owns` says
 * whether this process is it.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, PartitionAssigner } from 'kafkajs';
import { decodeJob } from '../core/job.js';
import type { Logger } from './logger.js';

/** A shared probe group: its members split nothing, one of them (`owns`) holds every partition. */
export interface OwnerGroup {
  readonly groupId: string;
  readonly assigner: PartitionAssigner;
  /** @default kafkajs' 30_000 ms */
  readonly sessionTimeoutMs?: number;
}

export interface HeadWanted {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export class HeadProbe {
  readonly #kafka: Kafka;
  readonly #log: Logger;
  readonly #owner: OwnerGroup | null;
  /** Called whenever this process gains or loses the partitions (owner group only matters). */
  readonly #onOwnership: (owns: boolean) => void;
  #owns = false;
  #consumer: Consumer | null = null;
  #ready: Promise<void> | null = null;
  /** `${topic}:${partition}` → offset wanted and, once read, the due time found there. */
  readonly #heads = new Map<string, { offset: number; dueAt: number | null }>();

  constructor(opts: {
    kafka: Kafka;
    logger: Logger;
    owner: OwnerGroup | null;
    onOwnership: (owns: boolean) => void;
  }) {
    this.#kafka = opts.kafka;
    this.#log = opts.logger;
    this.#owner = opts.owner;
    this.#onOwnership = opts.onOwnership;
  }

  get owns(): boolean {
    return this.#owns;
  }

  #setOwns(owns: boolean): void {
    this.#owns = owns;
    this.#onOwnership(owns);
  }

  /** Starts the consumer once (again after a failed start or a crash); resolves once it joined. */
  ensure(topics: readonly string[]): Promise<void> {
    this.#ready ??= this.#start([...new Set(topics)]).catch((err: unknown) => {
      this.#ready = null; // e.g. a topic not created yet: the next call tries again
      throw err;
    });
    return this.#ready;
  }

  async #start(topics: string[]): Promise<void> {
    const owner = this.#owner;
    const consumer = this.#kafka.consumer({
      groupId: owner?.groupId ?? `hookstream-lag-probe-${randomBytes(6).toString('hex')}`,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      ...(owner && { partitionAssigners: [owner.assigner], sessionTimeout: owner.sessionTimeoutMs }),
    });
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const owns = Object.values(payload.memberAssignment).some((ps) => ps.length > 0);
        if (owner && owns !== this.#owns)
          this.#log.info(
            { group: owner.groupId, owns },
            owns ? 'reporting lag for this role' : 'another process reports lag',
          );
        this.#setOwns(owns);
        resolve();
      }),
    );
    // A rebalance may hand the partitions to another process: not the owner until the next join.
    consumer.on(consumer.events.REBALANCING, () => this.#setOwns(false));
    // A consumer that crashed for good holds no partitions; the next `ensure` starts a new one.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.#log.warn({ err: payload.error }, 'lag probe consumer crashed; starting a new one');
      this.#setOwns(false);
      this.#consumer = null;
      this.#ready = null;
      void consumer.disconnect().catch(() => {});
    });
    this.#consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
    } catch (err) {
      this.#consumer = null;
      await consumer.disconnect().catch(() => {});
      throw err;
    }
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const head = this.#heads.get(`${batch.topic}:${batch.partition}`);
        const first = batch.messages[0];
        if (head && first && Number(first.offset) === head.offset) {
          try {
            head.dueAt = decodeJob(first.value ?? Buffer.alloc(0)).due_at;
          } catch {
            head.dueAt = Number(first.timestamp); // a malformed job: its record time stands in
          }
        }
        consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      },
    });
    await joined;
  }

  /** Reads the due time of the job at each wanted offset (cached while the offset stays), up to `timeoutMs`. */
  async read(wanted: readonly HeadWanted[], topics: readonly string[], timeoutMs: number): Promise<void> {
    if (wanted.length === 0) return;
    await this.ensure(topics);
    const consumer = this.#consumer;
    if (!consumer) return; // crashed meanwhile: the heads stay unknown this time
    const pending: HeadWanted[] = [];
    for (const w of wanted) {
      const key = `${w.topic}:${w.partition}`;
      const head = this.#heads.get(key);
      if (head && head.offset === w.offset && head.dueAt !== null) continue;
      this.#heads.set(key, { offset: w.offset, dueAt: null });
      consumer.seek({ topic: w.topic, partition: w.partition, offset: String(w.offset) });
      consumer.resume([{ topic: w.topic, partitions: [w.partition] }]);
      pending.push(w);
    }
    const deadline = Date.now() + timeoutMs;
    while (pending.some((w) => this.dueAt(w.topic, w.partition) === null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The due time read at the partition's last wanted offset, or null when not (yet) read. */
  dueAt(topic: string, partition: number): number | null {
    return this.#heads.get(`${topic}:${partition}`)?.dueAt ?? null;
  }

  async close(): Promise<void> {
    await this.#consumer?.disconnect().catch(() => {});
  }
}
