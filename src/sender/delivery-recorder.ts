/**
 * Delivery records are written in batches (one unordered bulkWrite per flush), off the delivery
 * path: a slow or unreachable MongoDB never holds up attempts. While MongoDB is down the writes
 * wait in memory and are retried; they catch up when it answers again. Records are history: the
 * pipeline's source of truth is Kafka.
 */
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { DeliveryRecordMode } from '../config/config.js';
import {
  type DeliveryDoc,
  type DeliveryUpdate,
  deliveriesCollection,
  deliveryUpsert,
} from '../mongo/deliveries.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';

export interface RecorderOptions {
  mode: DeliveryRecordMode;
  /** Flush at least this often, milliseconds. @default 100 */
  flushIntervalMs?: number;
  /** Flush as soon as this many writes wait. @default 1_000 */
  maxBatch?: number;
  /** Writes kept while MongoDB is down; beyond it the oldest are dropped, loudly. @default 500_000 */
  maxPending?: number;
}

export class DeliveryRecorder {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #mode: DeliveryRecordMode;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #maxPending: number;
  #pending: AnyBulkWriteOperation<DeliveryDoc>[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #failures = 0;
  #dropped = 0;
  #closed = false;

  constructor(db: Db, logger: Logger, opts: RecorderOptions) {
    this.#db = db;
    this.#log = logger.child({ component: 'delivery-records' });
    this.#mode = opts.mode;
    this.#flushIntervalMs = opts.flushIntervalMs ?? 100;
    this.#maxBatch = opts.maxBatch ?? 1_000;
    this.#maxPending = opts.maxPending ?? 500_000;
  }

  get pending(): number {
    return this.#pending.length;
  }

  record(update: DeliveryUpdate): void {
    // `failures` mode: a delivery that succeeded at its first attempt leaves no record.
    if (this.#mode === 'failures' && update.status === 'succeeded' && update.attempts === 1) return;
    this.#pending.push(deliveryUpsert(update) as AnyBulkWriteOperation<DeliveryDoc>);
    if (this.#pending.length > this.#maxPending) {
      const excess = this.#pending.length - this.#maxPending;
      this.#pending.splice(0, excess);
      this.#dropped += excess;
      this.#log.error(
        { dropped: this.#dropped },
        'delivery record buffer full while MongoDB is down: oldest records dropped',
      );
    }
    metrics.deliveryRecordsPending.set(this.#pending.length);
    if (this.#pending.length >= this.#maxBatch) this.#kick(0);
    else this.#kick(this.#flushIntervalMs);
  }

  #kick(delayMs: number): void {
    if (this.#flushing || this.#closed) return;
    if (this.#timer && delayMs > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flushing = this.#flushOnce().finally(() => {
        this.#flushing = null;
        if (this.#pending.length > 0)
          this.#kick(this.#failures > 0 ? Math.min(5_000, 250 * 2 ** this.#failures) : 0);
      });
    }, delayMs);
  }

  async #flushOnce(): Promise<void> {
    const batch = this.#pending.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    try {
      await deliveriesCollection(this.#db).bulkWrite(batch, { ordered: false });
      if (this.#failures > 0)
        this.#log.info({ pending: this.#pending.length }, 'delivery records writing again');
      this.#failures = 0;
    } catch (err) {
      // Writes that did land are idempotent upserts: putting the whole batch back is safe.
      this.#pending.unshift(...batch);
      metrics.deliveryRecordFailures.inc();
      if (this.#failures === 0) {
        this.#log.warn(
          { err, pending: this.#pending.length },
          'writing delivery records failed; keeping them to retry',
        );
      }
      this.#failures++;
    }
    metrics.deliveryRecordsPending.set(this.#pending.length);
  }

  /** Writes everything pending; gives up after `timeoutMs` (logging what was not written). */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const deadline = Date.now() + timeoutMs;
    this.#closed = true;
    while (Date.now() < deadline) {
      if (this.#flushing) await this.#flushing;
      if (this.#pending.length === 0) break;
      this.#flushing = this.#flushOnce().finally(() => (this.#flushing = null));
      await this.#flushing;
      if (this.#failures > 0) await new Promise((r) => setTimeout(r, 250));
    }
    if (this.#pending.length > 0) {
      this.#log.error(
        { unwritten: this.#pending.length },
        'shutdown: delivery records could not be written to MongoDB',
      );
    }
  }
}
