/**
 * kafkajs has no linger: every `send` is its own request. This collects messages for up to
 * `lingerMs` (or `maxBatch` messages) and sends them in one `sendBatch`, acks=-1. Each caller's
 * promise settles when its message is acknowledged — or rejects with the batch's error.
 */
import type { Message, Producer } from 'kafkajs';

interface Pending {
  topic: string;
  message: Message;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface BatchingProducerOptions {
  /** How long the first message of a batch waits for company, milliseconds. @default 2 */
  lingerMs?: number;
  /** Flush as soon as this many messages wait. @default 500 */
  maxBatch?: number;
}

export class BatchingProducer {
  readonly #producer: Producer;
  readonly #lingerMs: number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(producer: Producer, opts: BatchingProducerOptions = {}) {
    this.#producer = producer;
    this.#lingerMs = opts.lingerMs ?? 2;
    this.#maxBatch = opts.maxBatch ?? 500;
  }

  send(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ topic, message, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
    });
  }

  /** Sends what is queued and waits for every batch in flight. */
  async drain(): Promise<void> {
    this.#flush();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) list.push(p.message);
      else byTopic.set(p.topic, [p.message]);
    }
    const sent = this.#producer
      .sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      );
    this.#inFlight.add(sent);
    void sent.finally(() => this.#inFlight.delete(sent));
  }
}
