/**
 * What a sender needs of a webhook at send time — URL, status, the secrets that sign now — read
 * from MongoDB and cached briefly, so disabling or rotating takes effect on the next attempt.
 * When MongoDB is unreachable, entries past their TTL are still used (the pipeline keeps moving);
 * a webhook never seen before cannot be resolved until MongoDB answers again.
 */
import type { Db } from 'mongodb';
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
}

interface Entry {
  webhook: SendableWebhook | null; // null: no such webhook
  loadedAt: number;
}

export class WebhookCache {
  readonly #db: Db;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  #failing = false;

  constructor(db: Db, secretKey: Buffer, ttlMs: number, logger: Logger) {
    this.#db = db;
    this.#key = secretKey;
    this.#ttlMs = ttlMs;
    this.#log = logger.child({ component: 'webhook-cache' });
  }

  /**
   * Makes sure the given webhooks are fresh in the cache (one query for all stale ones).
   * Returns false when MongoDB could not be read; stale entries then remain usable.
   */
  async refresh(ids: Iterable<string>, now: number): Promise<boolean> {
    const stale = [...new Set(ids)].filter((id) => {
      const e = this.#entries.get(id);
      return e === undefined || now - e.loadedAt >= this.#ttlMs;
    });
    if (stale.length === 0) return true;
    let docs: WebhookDoc[];
    try {
      docs = await webhooksByIds(this.#db, stale);
    } catch (err) {
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
    let complete = true;
    for (const id of stale) {
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
    return {
      id: doc._id,
      url: doc.url,
      enabled: doc.enabled,
      deleted: doc.deleted === true,
      standardWebhooks: doc.standard_webhooks === true,
      secrets: valid.map((s) => decryptSecret(this.#key, s.ciphertext)),
    };
  }

  #evictOldest(): void {
    const byAge = [...this.#entries].sort((a, b) => a[1].loadedAt - b[1].loadedAt);
    for (const [id] of byAge.slice(0, byAge.length / 2)) this.#entries.delete(id);
  }
}
