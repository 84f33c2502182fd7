/**
 * Ingest deduplication: the `events_seen` collection remembers which (environment, event_id) the
 * router has routed, for `HOOKSTREAM_DEDUPE_WINDOW`.
 *
 * A mark is written only after the event's jobs were acknowledged by Kafka (and before its offset is
 * committed), so every mark stands for a completed route: a crash in between costs a duplicate,
 * never a loss. Lookups and writes are one query each per Kafka batch.
 *
 * Expiry: a TTL index on `expires_at` where the server has TTL indexes (MongoDB); where it refuses
 * them (FerretDB answers NotImplemented), a sweeper deletes expired marks instead. Lookups ignore
 * marks older than the window either way, so a late sweep never stretches the window.
 */
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../observability/logger.js';
import { isDuplicateKey } from './errors.js';

export interface SeenDoc {
  /** `<environment>/<event_id>` (an environment has no `/`). */
  _id: string;
  seen_at: Date;
  expires_at: Date;
}

export type ExpiryMode = 'ttl_index' | 'sweeper';

/** Server error codes meaning "this server has no TTL indexes". */
const TTL_UNSUPPORTED_CODES: ReadonlySet<number> = new Set([
  238, // NotImplemented (FerretDB: Index option "expireAfterSeconds" is not implemented yet)
  115, // CommandNotSupported
  197, // InvalidIndexSpecificationOption
  67, // CannotCreateIndex
]);

/**
 * How marks expire, given how creating the TTL index went (`null`: it succeeded). Errors that do
 * not say "unsupported" (the server is down, …) are thrown again.
 */
export function expiryModeAfter(createError: unknown): ExpiryMode {
  if (createError === null || createError === undefined) return 'ttl_index';
  const code = (createError as { code?: unknown }).code;
  if (typeof code === 'number' && TTL_UNSUPPORTED_CODES.has(code)) return 'sweeper';
  throw createError;
}

/**
 * The ids an unordered insertMany refused only because they exist already; [] when anything else
 * failed too (then the whole error is thrown).
 */
function duplicateKeyIds(err: unknown, ids: readonly string[]): string[] {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length === 0) return [];
  const out: string[] = [];
  for (const w of list as { code?: number; index?: number }[]) {
    if (!isDuplicateKey(w) || typeof w.index !== 'number' || ids[w.index] === undefined) return [];
    out.push(ids[w.index]!);
  }
  return out;
}

export function seenId(environment: string, eventId: string): string {
  return `${environment}/${eventId}`;
}

export interface EventDedupeOptions {
  /** How long a routed event is remembered, milliseconds (> 0). */
  readonly windowMs: number;
  readonly logger: Logger;
  /** Force the expiry mode instead of detecting it (tests). @default 'auto' */
  readonly mode?: ExpiryMode | 'auto';
  /** How often the sweeper deletes expired marks, milliseconds. @default min(window / 10, 60_000) */
  readonly sweepIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export class EventDedupe {
  readonly #col: Collection<SeenDoc>;
  readonly #opts: EventDedupeOptions;
  readonly #log: Logger;
  #mode: ExpiryMode | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(db: Db, opts: EventDedupeOptions) {
    if (!(opts.windowMs > 0)) throw new RangeError(`dedupe window must be > 0 ms, got ${opts.windowMs}`);
    this.#col = db.collection<SeenDoc>('events_seen');
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'dedupe' });
  }

  /** How marks expire; null before `start()`. */
  get mode(): ExpiryMode | null {
    return this.#mode;
  }

  /** Creates the TTL index, or starts the sweeper where the server has none. */
  async start(): Promise<void> {
    const forced = this.#opts.mode ?? 'auto';
    if (forced === 'auto') {
      let failure: unknown = null;
      try {
        await this.#createTtlIndex();
      } catch (err) {
        failure = err;
      }
      this.#mode = expiryModeAfter(failure);
    } else {
      if (forced === 'ttl_index') await this.#createTtlIndex();
      this.#mode = forced;
    }
    if (this.#mode === 'sweeper') {
      await this.#col.createIndex({ expires_at: 1 }, { name: 'expires_at' });
      this.#scheduleSweep();
    }
    this.#log.info({ mode: this.#mode, window_ms: this.#opts.windowMs }, 'ingest deduplication on');
  }

  #createTtlIndex(): Promise<string> {
    return this.#col.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
  }

  /** The ids among `ids` routed within the window before `now`. */
  async seen(ids: readonly string[], now: Date): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const since = new Date(now.getTime() - this.#opts.windowMs);
    const docs = await this.#col
      .find({ _id: { $in: [...new Set(ids)] }, seen_at: { $gt: since } }, { projection: { _id: 1 } })
      .toArray();
    return new Set(docs.map((d) => d._id));
  }

  /**
   * Remembers `ids` as routed at `now` (call only once their jobs are acknowledged). New marks are
   * inserted in one unordered insertMany (FerretDB runs upserts one by one, ~30 ms each); marks that
   * exist already (expired, not yet swept) are refreshed with one updateMany.
   */
  async markRouted(ids: readonly string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    const expires_at = new Date(now.getTime() + this.#opts.windowMs);
    const unique = [...new Set(ids)];
    let existing: string[] = [];
    try {
      await this.#col.insertMany(
        unique.map((_id) => ({ _id, seen_at: now, expires_at })),
        { ordered: false },
      );
    } catch (err) {
      existing = duplicateKeyIds(err, unique);
      if (existing.length === 0) throw err;
    }
    if (existing.length > 0) {
      await this.#col.updateMany({ _id: { $in: existing } }, { $set: { seen_at: now, expires_at } });
    }
  }

  /** Deletes expired marks; returns how many. */
  async sweep(now: Date): Promise<number> {
    const res = await this.#col.deleteMany({ expires_at: { $lte: now } });
    return res.deletedCount;
  }

  #scheduleSweep(): void {
    if (this.#closed) return;
    const every = this.#opts.sweepIntervalMs ?? Math.min(Math.max(1_000, this.#opts.windowMs / 10), 60_000);
    this.#timer = setTimeout(async () => {
      try {
        const deleted = await this.sweep((this.#opts.now ?? (() => new Date()))());
        if (deleted > 0) this.#log.debug({ deleted }, 'expired dedupe marks swept');
      } catch (err) {
        this.#log.warn({ err }, 'sweeping expired dedupe marks failed; will retry');
      }
      this.#scheduleSweep();
    }, every);
    this.#timer.unref();
  }

  /** Idempotent: stops the sweeper. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
