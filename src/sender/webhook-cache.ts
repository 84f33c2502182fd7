/**
 * What a sender needs of a webhook at send time — URL, status, the secrets that sign now — read
 * from MongoDB and cached briefly, so disabling or rotating takes effect on the next attempt.
 * When MongoDB is unreachable or slow, entries past their TTL are still used (the pipeline keeps
 * moving): a read waits at most `queryTimeoutMs`, and after a failed read the cached entries are
 * used without asking again for `failureBackoffMs`, so an outage never holds a batch for long (a
 * handler blocked past the session timeout would cost the group membership). A webhook never seen
 * before cannot be resolved until MongoDB answers again.
 */
import type { Db } from 'mongodb';
import { sendableCustomHeaders } from '../core/custom-headers.js';
import { type WebhookDoc, webhooksByIds } from '../mongo/webhooks.js';
import type { Logger } from '../observability/logger.js';
import { decryptSecret } from '../security/secret-box.js';

export interface SendableWebhook {
  readonly id: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly deleted: boolean;
  readonly standardWebhooks: boolean;
  /** Plaintext secrets valid now: the current one first, then rotated-out ones still in overlap. */
  readonly secrets: readonly string[];
  /** Custom headers to send on every attempt, name → value (those still allowed under the prefix). */
  readonly customHeaders: Readonly<Record<string, string>>;
  /** Requests a second, 1–10,000; null: unlimited (docs/options.md). */
  readonly rateLimitPerS: number | null;
}

export interface WebhookCacheOptions {
  /** Longest a batch waits for MongoDB to read webhooks, milliseconds. @default 2_000 */
  queryTimeoutMs?: number;
  /** After a failed read, cached entries are used without asking MongoDB for this long, milliseconds. @default 5_000 */
  failureBackoffMs?: number;
  /** `HOOKSTREAM_HEADER_PREFIX`: stored custom headers that collide with it are dropped. @default 'Coverbase' */
  headerPrefix?: string;
}

/** Most webhooks renewed by one background read. */
const BACKGROUND_BATCH = 1_000;

interface Entry {
  webhook: SendableWebhook | null; // null: no such webhook
  loadedAt: number;
}

export class WebhookCache {
  readonly #db: Db;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #queryTimeoutMs: number;
  readonly #failureBackoffMs: number;
  readonly #headerPrefix: string;
  readonly #entries = new Map<string, Entry>();
  #failing = false;
  /** The read renewing stale entries in the background, if one is running. */
  #background: Promise<boolean> | null = null;
  /** While failing: no read of already cached webhooks before this time, epoch milliseconds. */
  #retryAt = 0;

  constructor(db: Db, secretKey: Buffer, ttlMs: number, logger: Logger, opts: WebhookCacheOptions = {}) {
    this.#db = db;
    this.#key = secretKey;
    this.#ttlMs = ttlMs;
    this.#log = logger.child({ component: 'webhook-cache' });
    this.#queryTimeoutMs = opts.queryTimeoutMs ?? 2_000;
    this.#failureBackoffMs = opts.failureBackoffMs ?? 5_000;
    this.#headerPrefix = opts.headerPrefix ?? 'Coverbase';
  }

  /**
   * Makes sure the given webhooks can be sent to: webhooks never seen before are read now (one
   * query); entries past their TTL are used as they are while one read in the background renews
   * them, so MongoDB's latency is paid once per webhook, not once per TTL on the delivery path.
   * Returns false when MongoDB could not be read; stale entries then remain usable.
   */
  async refresh(ids: Iterable<string>, now: number): Promise<boolean> {
    const stale = [...new Set(ids)].filter((id) => {
      const e = this.#entries.get(id);
      return e === undefined || now - e.loadedAt >= this.#ttlMs;
    });
    if (stale.length === 0) return true;
    if (stale.every((id) => this.#entries.has(id))) {
      this.#background ??= this.#load(this.#expired(now), now)
        .catch(() => false)
        .finally(() => {
          this.#background = null;
        });
      return true;
    }
    return this.#load(stale, now);
  }

  /** Reads `stale` webhooks (all of them, or after a failure only the unknown ones) into the cache. */
  async #load(stale: readonly string[], now: number): Promise<boolean> {
    // Backing off after a failure: only webhooks never seen before are worth waiting for.
    const wanted =
      this.#failing && now < this.#retryAt ? stale.filter((id) => !this.#entries.has(id)) : stale;
    if (wanted.length === 0) return false;
    let docs: WebhookDoc[];
    try {
      docs = await withTimeout(webhooksByIds(this.#db, wanted), this.#queryTimeoutMs);
    } catch (err) {
      this.#retryAt = now + this.#failureBackoffMs;
      if (!this.#failing) {
        this.#failing = true;
        this.#log.warn(
          { err, webhooks: stale.length },
          'cannot read webhooks from MongoDB; sending with cached webhooks',
        );
      }
      return false;
    }
    if (this.#failing) {
      this.#failing = false;
      this.#log.info('MongoDB reachable again; webhook cache refreshing');
    }
    const found = new Map(docs.map((d) => [d._id, d]));
    let complete = wanted.length === stale.length;
    for (const id of wanted) {
      const doc = found.get(id);
      try {
        this.#entries.set(id, { webhook: doc ? this.#toSendable(doc, now) : null, loadedAt: now });
      } catch (err) {
        // A secret that does not decrypt is a configuration fault (wrong HOOKSTREAM_SECRET_KEY):
        // hold the jobs rather than fail deliveries that a fixed key would send.
        complete = false;
        this.#log.error({ err, webhook_id: id }, 'cannot decrypt the secrets of a webhook; its jobs wait');
      }
    }
    if (this.#entries.size > 100_000) this.#evictOldest();
    return complete;
  }

  /**
   * Every cached webhook past its TTL, up to `BACKGROUND_BATCH`: renewing them together keeps
   * them expiring together, so a steady stream costs about one read per TTL.
   */
  #expired(now: number): string[] {
    const ids: string[] = [];
    for (const [id, e] of this.#entries) {
      if (now - e.loadedAt >= this.#ttlMs) ids.push(id);
      if (ids.length >= BACKGROUND_BATCH) break;
    }
    return ids;
  }

  /** undefined: never loaded (MongoDB was unreachable); null: does not exist. */
  get(id: string): SendableWebhook | null | undefined {
    return this.#entries.get(id)?.webhook;
  }

  /** Forget an entry (after this process disabled the webhook, say). */
  invalidate(id: string): void {
    this.#entries.delete(id);
  }

  #toSendable(doc: WebhookDoc, now: number): SendableWebhook {
    const valid = doc.secrets
      .filter((s) => s.expires_at === null || s.expires_at.getTime() > now)
      .sort((a, b) =>
        a.expires_at === null
          ? -1
          : b.expires_at === null
            ? 1
            : b.expires_at.getTime() - a.expires_at.getTime(),
      );
    const custom = sendableCustomHeaders(doc.headers ?? [], { headerPrefix: this.#headerPrefix });
    if (custom.dropped.length > 0) {
      // Valid under an earlier HOOKSTREAM_HEADER_PREFIX, colliding now: never sent. Names only.
      this.#log.warn(
        { webhook_id: doc._id, dropped: custom.dropped },
        'custom headers of a webhook collide with the delivery headers; they are not sent',
      );
    }
    return {
      id: doc._id,
      url: doc.url,
      enabled: doc.enabled,
      deleted: doc.deleted === true,
      standardWebhooks: doc.standard_webhooks === true,
      secrets: valid.map((s) => decryptSecret(this.#key, s.ciphertext, doc._id)),
      customHeaders: custom.headers,
      rateLimitPerS: typeof doc.rate_limit_per_s === 'number' ? doc.rate_limit_per_s : null,
    };
  }

  #evictOldest(): void {
    const byAge = [...this.#entries].sort((a, b) => a[1].loadedAt - b[1].loadedAt);
    for (const [id] of byAge.slice(0, byAge.length / 2)) this.#entries.delete(id);
  }
}

/** Settles like `promise`, or rejects after `ms`; a late settlement of `promise` is ignored. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`MongoDB did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // rejected after the timeout won: nobody listens any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
