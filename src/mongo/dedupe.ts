/**
 * Ingest deduplication: the `events_seen` collection remembers which (environment, event_id) the
 * router has routed, for `HOOKSTREAM_DEDUPE_WINDOW`.
 *
 * Two documents per event: a claim (`<environment>/<event_id>`, inserted when the event is first
 * seen, before it is routed) and a routed mark (`routed:<environment>/<event_id>`, inserted only
 * after the event's jobs were acknowledged by Kafka, before its offset is committed). Only a routed
 * mark makes a repeat a duplicate, so every trusted mark stands for a completed route: a crash in
 * between costs a duplicate, never a loss. In the common case (no repeat) a Kafka batch costs two
 * unordered insertMany calls and no query.
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

/** The mark a completed route leaves for `seenId` (the claim itself is `seenId`). */
function routedId(id: string): string {
  return `routed:${id}`;
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

  /**
   * The ids among `ids` routed within the window before `now`.
   *
   * The check is an insert, not a query: each id is claimed with one unordered insertMany (on
   * FerretDB only `_id` equality uses an index, so a `$in` lookup scans the whole collection and
   * grows with it, while an insert by `_id` stays constant). An id whose claim already exists was seen
   * before; only for those (rare) is the routed mark read, one `_id` lookup each, and only a mark
   * written by a completed route within the window makes the event a duplicate. A claim without
   * such a mark (a crash between routing and marking, an expired mark) is routed again, and its
   * claim renewed so that it never expires before the mark that will follow.
   */
  async seen(ids: readonly string[], now: Date): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Set();
    const expires_at = new Date(now.getTime() + this.#opts.windowMs);
    const before = await this.#insertOrExisting(unique, (_id) => ({ _id, seen_at: now, expires_at }));
    if (before.length === 0) return new Set();
    const since = now.getTime() - this.#opts.windowMs;
    const marks = await Promise.all(
      before.map((id) => this.#col.findOne({ _id: routedId(id) }, { projection: { seen_at: 1 } })),
    );
    const seen = new Set(before.filter((_, i) => (marks[i]?.seen_at.getTime() ?? -Infinity) > since));
    await this.#renew(
      before.filter((id) => !seen.has(id)),
      now,
    );
    return seen;
  }

  /**
   * Remembers `ids` as routed at `now`: call only once their jobs are acknowledged by Kafka. One
   * unordered insertMany of routed marks; marks that exist already (expired, not swept yet) are
   * renewed one `_id` update each (rare).
   */
  async markRouted(ids: readonly string[], now: Date): Promise<void> {
    const unique = [...new Set(ids)].map(routedId);
    if (unique.length === 0) return;
    const expires_at = new Date(now.getTime() + this.#opts.windowMs);
    await this.#renew(
      await this.#insertOrExisting(unique, (_id) => ({ _id, seen_at: now, expires_at })),
      now,
    );
  }

  /** Inserts one document per id; returns the ids that existed already. */
  async #insertOrExisting(ids: readonly string[], doc: (id: string) => SeenDoc): Promise<string[]> {
    try {
      await this.#col.insertMany(ids.map(doc), { ordered: false });
      return [];
    } catch (err) {
      const existing = duplicateKeyIds(err, ids);
      if (existing.length === 0) throw err;
      return existing;
    }
  }

  /** Moves the window of existing documents to start at `now` (one `_id` update each). */
  async #renew(ids: readonly string[], now: Date): Promise<void> {
    const expires_at = new Date(now.getTime() + this.#opts.windowMs);
    await Promise.all(ids.map((_id) => this.#col.updateOne({ _id }, { $set: { seen_at: now, expires_at } })));
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
