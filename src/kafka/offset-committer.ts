/**
 * Coalesces offset commits. Every caller waits until a commit that includes its offset is
 * acknowledged, but callers in the same turn of the event loop, and those that arrive while a
 * commit is in flight, share one OffsetCommit request. Kafka's group coordinator takes a group's
 * commits one at a time (a few milliseconds each), so one request per concurrently handled
 * partition would queue them behind each other.
 */
export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, as kafkajs takes it. */
  readonly offset: string;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OffsetCommitter {
  readonly #send: (offsets: TopicPartitionOffset[]) => Promise<void>;
  #pending = new Map<string, TopicPartitionOffset>();
  #waiters: Waiter[] = [];
  #running = false;

  constructor(send: (offsets: TopicPartitionOffset[]) => Promise<void>) {
    this.#send = send;
  }

  /** Resolves once `offset` (or a later one of the same partition) is committed. */
  commit(topic: string, partition: number, offset: string): Promise<void> {
    const key = `${topic}\0${partition}`;
    const queued = this.#pending.get(key);
    if (queued === undefined || BigInt(offset) > BigInt(queued.offset)) {
      this.#pending.set(key, { topic, partition, offset });
    }
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#running) {
      this.#running = true;
      // Batches of one fetch finish their produce together: let the others of this turn join.
      setImmediate(() => void this.#run());
    }
    return done;
  }

  async #run(): Promise<void> {
    while (this.#pending.size > 0) {
      const offsets = [...this.#pending.values()];
      const waiters = this.#waiters;
      this.#pending = new Map();
      this.#waiters = [];
      try {
        await this.#send(offsets);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.#running = false;
  }
}
