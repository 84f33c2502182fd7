/**
 * Retention: documents whose date field is older than a retention are removed.
 *
 * On MongoDB this is a TTL index (`expireAfterSeconds`), which the server enforces by itself. FerretDB
 * v1.24 refuses the option (`createIndex` fails with code 238 NotImplemented, and `collMod` is not
 * implemented either), so there the same field gets a plain index and `RetentionSweeper` deletes in
 * small batches: at most `batchSize` ids found by the date field, one `deleteMany` by `_id`, a pause
 * at least as long as the batch took, and again — never a long lock, and never more than half of the
 * database's time taken from the senders' writes. One sweep per interval across all replicas (a term
 * lease, `lease.ts`); running it on every replica is safe.
 *
 * Measured on FerretDB v1.24 (SQLite): only `_id` equality is pushed down to an index, so each batch
 * costs about one scan of the collection (≈3-4 s for 3 000 records of 10 KB on the shared 2-core test
 * machine). Fine for development and modest volumes; at production volumes use MongoDB, where the TTL
 * index makes the sweeper unnecessary.
 *
 * Targets (wired in `roles/retention.ts`): delivery records by `updated_at` (a record goes
 * HOOKSTREAM_RECORD_RETENTION after its last attempt), the dedupe marks of the router by their time
 * field and HOOKSTREAM_DEDUPE_WINDOW, and this module's own small bookkeeping collections.
 */
import { randomBytes } from 'node:crypto';
import type { Db, Document } from 'mongodb';
import type { Logger } from '../observability/logger.js';
import { claimTerm, type TermLeaseOptions } from './lease.js';

export interface RetentionTarget {
  readonly collection: string;
  /** A Date field; documents with `field < now - retentionMs` are removed. */
  readonly field: string;
  /** Milliseconds (at least 1 s: TTL indexes count in seconds). */
  readonly retentionMs: number;
}

export type RetentionMode = 'ttl' | 'sweeper';

/** Server error codes that mean "no TTL indexes here" (FerretDB: 238 NotImplemented). */
const TTL_UNSUPPORTED = new Set([238, 115 /* CommandNotSupported */, 67 /* CannotCreateIndex */]);
/** An index of that name exists with other options (MongoDB: the retention changed). */
const INDEX_OPTIONS_CONFLICT = new Set([85, 86]);

export const indexName = (t: RetentionTarget): string => `retention_${t.field}`;
const ttlSeconds = (t: RetentionTarget): number => Math.max(1, Math.ceil(t.retentionMs / 1000));

/**
 * Makes the server enforce the retention if it can (TTL index), else creates the plain index the
 * sweeper needs. Answers which of the two holds. Detection: the TTL index is created and then read
 * back, so a server that accepted the option but dropped it counts as "no TTL" too.
 */
export async function ensureRetention(db: Db, t: RetentionTarget): Promise<RetentionMode> {
  const col = db.collection(t.collection);
  const name = indexName(t);
  const seconds = ttlSeconds(t);
  try {
    await col.createIndex({ [t.field]: 1 }, { name, expireAfterSeconds: seconds });
  } catch (err) {
    const code = (err as { code?: number }).code ?? -1;
    if (INDEX_OPTIONS_CONFLICT.has(code)) {
      await db.command({ collMod: t.collection, index: { name, expireAfterSeconds: seconds } });
    } else if (TTL_UNSUPPORTED.has(code)) {
      await col.createIndex({ [t.field]: 1 }, { name });
      return 'sweeper';
    } else {
      throw err;
    }
  }
  const index = (await col.listIndexes().toArray()).find((i: Document) => i.name === name);
  if (index?.expireAfterSeconds === seconds) return 'ttl';
  if (index === undefined) await col.createIndex({ [t.field]: 1 }, { name });
  return 'sweeper';
}

export interface SweepResult {
  readonly collection: string;
  readonly removed: number;
  /** Stopped before the end (lease term over, or closing); the rest goes next time. */
  readonly partial: boolean;
}

export interface RetentionSweeperOptions {
  readonly db: Db;
  readonly targets: readonly RetentionTarget[];
  readonly logger: Logger;
  /** Stored on the lease. @default hostname-pid-random */
  readonly holder?: string;
  /**
   * Between sweeps, and the lease term: one sweep per interval across all replicas, milliseconds.
   * Ten minutes: each FerretDB sweep costs about one collection scan per batch, and a retention
   * counted in days needs no finer grain. @default 600_000
   */
  readonly intervalMs?: number;
  /** Documents per delete. @default 500 */
  readonly batchSize?: number;
  /**
   * Least pause between two batches, milliseconds. The pause is at least as long as the batch took,
   * so the sweeper never holds more than half of the database's time. @default 100
   */
  readonly pauseMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export const RETENTION_LEASE = 'retention-sweeper';
export const DEFAULT_SWEEP_INTERVAL_MS = 600_000;

export class RetentionSweeper {
  readonly #db: Db;
  readonly #targets: readonly RetentionTarget[];
  readonly #log: Logger;
  readonly #lease: TermLeaseOptions;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #pauseMs: number;
  readonly #now: () => Date;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: RetentionSweeperOptions) {
    this.#db = opts.db;
    this.#targets = opts.targets;
    this.#log = opts.logger.child({ component: 'retention-sweeper' });
    this.#lease = {
      name: RETENTION_LEASE,
      holder:
        opts.holder ?? `${process.env.HOSTNAME ?? 'host'}-${process.pid}-${randomBytes(4).toString('hex')}`,
      termMs: opts.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
    };
    this.#intervalMs = opts.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.#batchSize = opts.batchSize ?? 500;
    this.#pauseMs = opts.pauseMs ?? 100;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Sweeps now and then every `intervalMs` until `close`. */
  start(): this {
    if (this.#timer === undefined && !this.#stop.signal.aborted) {
      const tick = () => {
        if (this.#running === undefined) {
          this.#running = this.sweepOnce()
            .catch((err) => this.#log.warn({ err }, 'retention sweep failed; trying again next interval'))
            .finally(() => {
              this.#running = undefined;
            });
        }
      };
      this.#timer = setInterval(tick, this.#intervalMs);
      this.#timer.unref();
      tick();
    }
    return this;
  }

  /** One sweep of every target if this process holds the lease term; null when another does. */
  async sweepOnce(): Promise<SweepResult[] | null> {
    const held = await claimTerm(this.#db, this.#lease, this.#now());
    if (held === null) return null;
    const results: SweepResult[] = [];
    for (const t of this.#targets) {
      const result = await this.#sweep(t, held.workUntilMs);
      results.push(result);
      if (result.removed > 0 || result.partial) {
        this.#log.info(
          { ...result, field: t.field, retention_ms: t.retentionMs },
          `retention: removed ${result.removed} from ${t.collection}`,
        );
      }
      if (result.partial) break;
    }
    return results;
  }

  async #sweep(t: RetentionTarget, workUntilMs: number): Promise<SweepResult> {
    const col = this.#db.collection(t.collection);
    let removed = 0;
    for (;;) {
      if (this.#stop.signal.aborted || this.#now().getTime() >= workUntilMs) {
        return { collection: t.collection, removed, partial: true };
      }
      const started = performance.now();
      const cutoff = new Date(this.#now().getTime() - t.retentionMs);
      const ids = (
        await col
          .find({ [t.field]: { $lt: cutoff } }, { projection: { _id: 1 } })
          .limit(this.#batchSize)
          .toArray()
      ).map((d) => d._id);
      if (ids.length === 0) return { collection: t.collection, removed, partial: false };
      removed += (await col.deleteMany({ _id: { $in: ids } })).deletedCount;
      if (ids.length < this.#batchSize) return { collection: t.collection, removed, partial: false };
      await this.#pause(Math.max(this.#pauseMs, performance.now() - started));
    }
  }

  #pause(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Idempotent: stops the timer and waits for a sweep in progress to stop at its next batch. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.#stop.abort();
      await this.#running;
    })();
    return this.#closing;
  }
}
