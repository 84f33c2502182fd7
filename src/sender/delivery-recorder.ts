/**
 * Delivery records, written in batches (one unordered bulkWrite per flush). `record()` resolves
 * once its write has landed, so a sender commits an offset only after the outcome is in MongoDB.
 * Writes arriving while a flush runs wait for the next one (group commit): the cost is one bulk
 * write per burst, not one per outcome.
 *
 * The queue is bounded in bytes, not items: a record's first write (an insert) carries the job
 * body, later ones (upserts) do not need it — the record exists already, because the first write
 * landed before the job moved on. While MongoDB is down the writes are retried with a backoff; a
 * full queue makes `record()` wait, so the senders stall safely instead of growing memory or
 * committing unrecorded outcomes. A failed batch halves the next one (a successful one doubles it
 * again, up to `maxBatch`), so a backlog a slow server cannot take in one request still drains.
 *
 * An insert that finds the record already there (redelivery, replay) is retried as an upsert.
 */
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { DeliveryRecordMode } from '../config/config.js';
import { onAbort } from '../core/abort.js';
import { backoffMs, RECORD_BACKOFF } from '../core/backoff.js';
import { Budget } from '../kafka/in-flight.js';
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
/**
 * Updates (records of later attempts) per bulkWrite at most. FerretDB v1.24 applies an update in
 * ~25 ms where an insert takes under 1 ms (measured: 10 updates 250–330 ms, 10 inserts 7 ms), and a
 * bulkWrite of 100 updates did not answer at all within 80 s while 50 took 1.3 s: one large batch
 * ran into the driver's 30 s socket timeout, was written again whole, and with record-before-commit
 * the senders stalled behind it. 32 updates keep one write under ~1 s there; MongoDB does not care.
 */
const MAX_UPDATES_PER_BATCH = 32;
/** Bytes a write holds beyond its body (ids, attempt, driver encoding). */
const WRITE_OVERHEAD_BYTES = 1_024;

export interface RecorderOptions {
  mode: DeliveryRecordMode;
  /** Writes per bulkWrite at most. @default 1_000 */
  maxBatch?: number;
  /**
   * How long the first write of a batch waits for company, milliseconds: fewer, larger bulk writes
   * cost MongoDB (and FerretDB on a shared machine) far less CPU. @default 20
   */
  lingerMs?: number;
  /** Bytes of writes waiting at most; beyond it `record()` waits. @default 33_554_432 (32 MiB) */
  maxPendingBytes?: number;
}

interface PendingWrite {
  readonly update: DeliveryUpdate;
  /** The record's first write: a plain insert, with the body. */
  readonly insert: boolean;
  readonly bytes: number;
  readonly landed: () => void;
}

export class DeliveryRecorder {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #mode: DeliveryRecordMode;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  readonly #room: Budget;
  #batchSize: number;
  #pending: PendingWrite[] = [];
  /** The writes of the flush in progress. */
  #writing = 0;
  #flushing: Promise<void> | null = null;
  #failures = 0;
  #closed = false;

  constructor(db: Db, logger: Logger, opts: RecorderOptions) {
    this.#db = db;
    this.#log = logger.child({ component: 'delivery-records' });
    this.#mode = opts.mode;
    this.#maxBatch = opts.maxBatch ?? 1_000;
    this.#lingerMs = opts.lingerMs ?? 20;
    this.#room = new Budget(opts.maxPendingBytes ?? 33_554_432);
    this.#batchSize = this.#maxBatch;
  }

  /** Writes waiting (queued or in a flush). */
  get pending(): number {
    return this.#pending.length + this.#writing;
  }

  /** Bytes held by waiting writes. */
  get pendingBytes(): number {
    return this.#room.used;
  }

  /** Resolves once the write has landed in MongoDB; rejects only when `signal` aborts. */
  async record(update: DeliveryUpdate, signal?: AbortSignal): Promise<void> {
    // `failures` mode: a delivery that succeeded at its first attempt leaves no record.
    if (this.#mode === 'failures' && update.status === 'succeeded' && update.attempts === 1) return;
    const insert = update.attempts <= 1;
    const slim = insert ? update : { ...update, body: null };
    const bytes = WRITE_OVERHEAD_BYTES + (insert ? Buffer.byteLength(update.body ?? '') : 0);
    await this.#room.acquire(bytes, signal ? { signal } : {});
    let landed!: () => void;
    const done = new Promise<void>((resolve) => {
      landed = resolve;
    });
    this.#pending.push({ update: slim, insert, bytes, landed });
    this.#gauge();
    this.#kick(this.#pending.length >= this.#maxBatch ? 0 : undefined);
    if (!signal) return done;
    let forget = () => {};
    const aborted = new Promise<never>((_, reject) => {
      forget = onAbort(signal, reject);
    });
    aborted.catch(() => {}); // an abort after the write landed concerns nobody
    try {
      await Promise.race([done, aborted]);
    } finally {
      forget();
    }
  }

  #gauge(): void {
    metrics.deliveryRecordsPending.set(this.pending);
    metrics.deliveryRecordBytes.set(this.#room.used);
  }

  /** Starts a flush unless one runs; writes arriving within `delayMs` join it. */
  #kick(delayMs = this.#lingerMs): void {
    if (this.#flushing || this.#closed || this.#pending.length === 0) return;
    this.#flushing = new Promise<void>((r) => (delayMs > 0 ? setTimeout(r, delayMs) : setImmediate(r)))
      .then(() => this.#flushOnce())
      .finally(() => {
        this.#flushing = null;
        this.#kick(
          this.#failures > 0 ? backoffMs(RECORD_BACKOFF, this.#failures - 1, Math.random) : undefined,
        );
      });
  }

  async #flushOnce(): Promise<void> {
    const batch = this.#pending.splice(0, this.#nextBatchLength());
    if (batch.length === 0) return;
    this.#writing = batch.length;
    try {
      await deliveriesCollection(this.#db).bulkWrite(batch.map(toOperation), { ordered: false });
      if (this.#failures > 0)
        this.#log.info({ pending: this.#pending.length }, 'delivery records writing again');
      this.#failures = 0;
      this.#batchSize = Math.min(this.#maxBatch, this.#batchSize * 2);
      this.#landed(batch);
    } catch (err) {
      const failed = failedWrites(err, batch);
      if (failed) this.#landed(batch.filter((w) => !failed.some((f) => f.write === w)));
      if (failed?.every((f) => f.duplicate)) {
        // Only inserts of records that exist already: apply them as upserts, at once.
        this.#pending.unshift(...failed.map((f) => ({ ...f.write, insert: false })));
        this.#gauge();
        return;
      }
      // When the server says which writes failed, only those go back; otherwise the whole batch
      // does (upserts are idempotent; an insert that did land comes back as a duplicate).
      this.#pending.unshift(
        ...(failed?.map((f) => ({ ...f.write, insert: f.write.insert && !f.duplicate })) ?? batch),
      );
      this.#batchSize = Math.max(Math.min(MIN_BATCH, this.#maxBatch), Math.floor(this.#batchSize / 2));
      metrics.deliveryRecordFailures.inc();
      if (this.#failures === 0)
        this.#log.warn(
          { err, pending: this.#pending.length },
          'writing delivery records failed; keeping them to retry',
        );
      this.#failures++;
    } finally {
      this.#writing = 0;
    }
    this.#gauge();
  }

  /** How many of the queued writes go into the next bulkWrite: a prefix, so order is kept. */
  #nextBatchLength(): number {
    let n = 0;
    let updates = 0;
    for (const w of this.#pending) {
      if (n >= this.#batchSize) break;
      if (!w.insert && updates >= MAX_UPDATES_PER_BATCH) break;
      if (!w.insert) updates++;
      n++;
    }
    return n;
  }

  #landed(writes: readonly PendingWrite[]): void {
    for (const w of writes) {
      this.#room.release(w.bytes);
      w.landed();
    }
  }

  /** Writes everything pending; gives up after `timeoutMs` (logging what was not written). */
  async close(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.#closed = true;
    while (Date.now() < deadline) {
      if (this.#flushing) await this.#flushing;
      if (this.#pending.length === 0) break;
      this.#flushing = this.#flushOnce().finally(() => {
        this.#flushing = null;
      });
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
