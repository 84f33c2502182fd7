/**
 * Delivery records are written in batches (one unordered bulkWrite per flush), off the delivery
 * path: a slow or unreachable MongoDB never holds up attempts. While MongoDB is down the writes
 * wait in memory and are retried; they catch up when it answers again. A failed batch halves the
 * next one (a successful one doubles it again, up to `maxBatch`), so a backlog that a slow server
 * cannot take in one request within the driver's socket timeout still drains instead of being
 * retried whole forever. Records are history: the pipeline's source of truth is Kafka.
 *
 * A record's first write (the outcome of attempt 1) is an insert, later ones are upserts; an
 * insert that finds the record already there (redelivery, replay) is retried as an upsert.
 */
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { DeliveryRecordMode } from '../config/config.js';
import {
  type DeliveryDoc,
  type DeliveryUpdate,
  deliveriesCollection,
  deliveryInsert,
  deliveryUpsert,
} from '../mongo/deliveries.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';

/** The smallest batch a run of failures shrinks to. */
const MIN_BATCH = 10;

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
  /** Size of the next batch: halved after a failure, doubled after a success, within [MIN_BATCH, maxBatch]. */
  #batchSize: number;
  #pending: PendingWrite[] = [];
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
    this.#batchSize = this.#maxBatch;
  }

  get pending(): number {
    return this.#pending.length;
  }

  record(update: DeliveryUpdate): void {
    // `failures` mode: a delivery that succeeded at its first attempt leaves no record.
    if (this.#mode === 'failures' && update.status === 'succeeded' && update.attempts === 1) return;
    this.#pending.push({ update, insert: update.attempts <= 1 });
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
    const batch = this.#pending.splice(0, this.#batchSize);
    if (batch.length === 0) return;
    try {
      await deliveriesCollection(this.#db).bulkWrite(batch.map(toOperation), { ordered: false });
      if (this.#failures > 0)
        this.#log.info({ pending: this.#pending.length }, 'delivery records writing again');
      this.#failures = 0;
      this.#batchSize = Math.min(this.#maxBatch, this.#batchSize * 2);
    } catch (err) {
      const failed = failedWrites(err, batch);
      if (failed?.every((f) => f.duplicate)) {
        // Only inserts of records that exist already: apply them as upserts, at once.
        this.#pending.unshift(...failed.map((f) => ({ update: f.write.update, insert: false })));
        metrics.deliveryRecordsPending.set(this.#pending.length);
        return;
      }
      // When the server says which writes failed, only those go back; otherwise the whole batch
      // does (upserts are idempotent; an insert that did land comes back as a duplicate).
      this.#pending.unshift(
        ...(failed?.map((f) => ({ update: f.write.update, insert: f.write.insert && !f.duplicate })) ??
          batch),
      );
      this.#batchSize = Math.max(Math.min(MIN_BATCH, this.#maxBatch), Math.floor(this.#batchSize / 2));
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

interface PendingWrite {
  readonly update: DeliveryUpdate;
  /** The record's first write: try a plain insert. */
  readonly insert: boolean;
}

function toOperation(w: PendingWrite): AnyBulkWriteOperation<DeliveryDoc> {
  return (
    w.insert ? deliveryInsert(w.update) : deliveryUpsert(w.update)
  ) as AnyBulkWriteOperation<DeliveryDoc>;
}

const DUPLICATE_KEY = 11000;

/**
 * The writes of `batch` that did not land, when the error says exactly which (every other write
 * of the batch succeeded); null when it cannot tell (network error, timeout, …).
 */
function failedWrites(
  err: unknown,
  batch: readonly PendingWrite[],
): { write: PendingWrite; duplicate: boolean }[] | null {
  const e = err as {
    writeErrors?: { index: number; code: number }[];
    result?: { insertedCount: number; matchedCount: number; upsertedCount: number };
  };
  const writeErrors = e.writeErrors ?? [];
  if (writeErrors.length === 0 || !e.result) return null;
  const landed = e.result.insertedCount + e.result.matchedCount + e.result.upsertedCount;
  if (landed + writeErrors.length !== batch.length) return null;
  return writeErrors.map((we) => {
    const write = batch[we.index]!;
    return { write, duplicate: we.code === DUPLICATE_KEY && write.insert };
  });
}
