/**
 * Produces what one partition's batch leads to — delivery jobs and quarantined events — in chunks
 * under a byte budget, while the batch is still being routed: a fan-out is never held whole.
 *
 * It also keeps the acknowledged prefix: `ackedThrough` is the offset of the last event all of
 * whose records Kafka acknowledged (acks=-1), the offset that may be committed.
 *
 * When Kafka refuses a chunk for good (`recordRefusal`), its records are sent one by one; an event
 * one of whose records is refused is quarantined instead (its other jobs are dropped; those already
 * acknowledged stay, at least once). Any other failure is thrown: the caller retries from
 * `ackedThrough`.
 */
import type { Message, Producer } from 'kafkajs';
import { HookstreamError } from '../core/errors.js';
import { recordRefusal } from '../kafka/produce-errors.js';

interface Entry {
  /** Offset of the event this record belongs to. */
  readonly offset: string;
  readonly topic: string;
  readonly message: Message;
  readonly bytes: number;
}

export interface JobSinkOptions {
  readonly producer: Producer;
  /** Send once this many value bytes wait, bytes (`maxProduceRequestBytes`). */
  readonly budgetBytes: number;
  /** Called after every chunk (a long fan-out must keep the group session alive). */
  readonly heartbeat: () => Promise<void>;
  /**
   * What to produce instead for an event whose record Kafka refused. Called with `withValue: false`
   * if the quarantine record (with the event's bytes) is refused too.
   */
  readonly quarantine: (
    offset: string,
    error: HookstreamError,
    withValue: boolean,
  ) => { topic: string; message: Message };
  /** Kafka refused even the headers-only quarantine record of the event at `offset`. */
  readonly onUnquarantinable?: (offset: string, kafkaError: string) => void;
  /** Counts produced jobs, by topic. */
  readonly onAcked?: (topic: string, count: number) => void;
}

export class JobSink {
  readonly #opts: JobSinkOptions;
  #buffer: Entry[] = [];
  #bytes = 0;
  /** Last event whose records are all in the buffer (or acknowledged). */
  #doneInBuffer: string | null = null;
  #ackedThrough: string | null = null;
  /** Events whose record was refused: quarantined, their remaining records dropped. */
  readonly #refused = new Set<string>();

  constructor(opts: JobSinkOptions) {
    this.#opts = opts;
  }

  /** Offset of the last event whose records are all acknowledged; null when none yet. */
  get ackedThrough(): string | null {
    return this.#ackedThrough;
  }

  /** True when a record of the event at `offset` was refused and the event quarantined. */
  refused(offset: string): boolean {
    return this.#refused.has(offset);
  }

  /** Queues one record of the event at `offset`; sends first when it would pass the budget. */
  async add(offset: string, topic: string, message: Message): Promise<void> {
    if (this.#refused.has(offset)) return;
    const bytes = (message.value as Buffer | null)?.length ?? 0;
    if (this.#buffer.length > 0 && this.#bytes + bytes > this.#opts.budgetBytes) await this.flush();
    this.#buffer.push({ offset, topic, message, bytes });
    this.#bytes += bytes;
    if (this.#bytes >= this.#opts.budgetBytes) await this.flush();
  }

  /** Every record of the event at `offset` has been added. */
  eventDone(offset: string): void {
    if (this.#buffer.length === 0) this.#ackedThrough = offset;
    else this.#doneInBuffer = offset;
  }

  /** Sends what is buffered and waits for Kafka's acknowledgement. */
  async flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const entries = this.#buffer;
    try {
      await this.#send(entries);
    } catch (err) {
      if (recordRefusal(err) === null) throw err;
      await this.#sendOneByOne(entries);
    }
    this.#buffer = [];
    this.#bytes = 0;
    if (this.#doneInBuffer !== null) this.#ackedThrough = this.#doneInBuffer;
    this.#doneInBuffer = null;
    await this.#opts.heartbeat();
  }

  async #send(entries: readonly Entry[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const e of entries) {
      const list = byTopic.get(e.topic);
      if (list) list.push(e.message);
      else byTopic.set(e.topic, [e.message]);
    }
    await this.#opts.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    for (const [topic, messages] of byTopic) this.#opts.onAcked?.(topic, messages.length);
  }

  /** Isolates the refused records of a chunk; retriable failures are thrown. */
  async #sendOneByOne(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      if (this.#refused.has(entry.offset)) continue;
      try {
        await this.#send([entry]);
      } catch (err) {
        const refusal = recordRefusal(err);
        if (refusal === null) throw err;
        this.#refused.add(entry.offset);
        await this.#quarantine(entry.offset, refusal, err);
      }
    }
  }

  async #quarantine(offset: string, refusal: string, cause: unknown): Promise<void> {
    const error =
      refusal === 'MESSAGE_TOO_LARGE' || refusal === 'RECORD_LIST_TOO_LARGE'
        ? new HookstreamError(
            'JOB_TOO_LARGE',
            `Kafka refused a delivery job of this event as too large (${refusal})`,
            {
              cause,
              details: { reason: 'job_too_large', kafka_error: refusal },
            },
          )
        : new HookstreamError('JOB_REFUSED', `Kafka refused a delivery job of this event (${refusal})`, {
            cause,
            details: { reason: refusal.toLowerCase(), kafka_error: refusal },
          });
    const withValue = this.#opts.quarantine(offset, error, true);
    try {
      await this.#send([{ offset, ...withValue, bytes: 0 }]);
    } catch (err) {
      if (recordRefusal(err) === null) throw err;
      // The event's own bytes are refused on events.invalid too: keep its coordinates and reason.
      try {
        await this.#send([{ offset, ...this.#opts.quarantine(offset, error, false), bytes: 0 }]);
      } catch (again) {
        const refused = recordRefusal(again);
        if (refused === null) throw again;
        // Never stall on it: the event stays readable in its source topic at this offset.
        this.#opts.onUnquarantinable?.(offset, refused);
      }
    }
  }
}
