/**
 * The `webhooks` collection: document shape, indexes, and the reads the pipeline needs.
 * (Admin writes — create, update, rotate, delete — live in `webhook-admin.ts`.)
 *
 * Deletion is soft (`deleted: true`, `enabled: false`, `updated_at` bumped) so that routers polling
 * `updated_at` see it; the API treats deleted webhooks as absent.
 */
import type { Collection, Db } from 'mongodb';

export interface StoredSecret {
  /** AES-256-GCM ciphertext of the `whsec_…` string (see security/secret-box.ts). */
  readonly ciphertext: string;
  readonly created_at: Date;
  /** null: current secret; a date: rotated out, still signs until then. */
  readonly expires_at: Date | null;
}

export interface WebhookDoc {
  _id: string;
  environment: string;
  url: string;
  event_types: string[];
  description: string | null;
  enabled: boolean;
  /** Why it is disabled: `manual`, `gone` (receiver answered 410), … ; null when enabled. */
  disabled_reason: string | null;
  /** Also send Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  standard_webhooks: boolean;
  secrets: StoredSecret[];
  deleted: boolean;
  /** Payload filter as compact JSON (`CompiledFilter.text`; MongoDB refuses `.`/`$` keys); null or absent: none. */
  filter?: string | null;
  /** Custom headers sent on every attempt, names as written; absent: none. */
  headers?: { name: string; value: string }[];
  /** Requests a second, 1–10,000; null or absent: unlimited. */
  rate_limit_per_s?: number | null;
  created_at: Date;
  updated_at: Date;
}

export function webhooksCollection(db: Db): Collection<WebhookDoc> {
  return db.collection<WebhookDoc>('webhooks');
}

export async function ensureWebhookIndexes(db: Db): Promise<void> {
  const col = webhooksCollection(db);
  await col.createIndex({ environment: 1, _id: 1 }, { name: 'environment_id' });
  await col.createIndex({ updated_at: 1 }, { name: 'updated_at' });
}

/** What the router needs to match. */
export interface RoutableWebhook {
  readonly id: string;
  readonly environment: string;
  readonly event_types: readonly string[];
  readonly enabled: boolean;
  readonly deleted: boolean;
  readonly updated_at: Date;
  /** The stored filter text, null when the webhook has none (docs/options.md). */
  readonly filter: string | null;
}

/** Webhooks changed at or after `since` (all of them when null), oldest change first. */
export async function webhooksChangedSince(db: Db, since: Date | null): Promise<RoutableWebhook[]> {
  const docs = await webhooksCollection(db)
    .find(since ? { updated_at: { $gte: since } } : {}, {
      projection: {
        _id: 1,
        environment: 1,
        event_types: 1,
        enabled: 1,
        deleted: 1,
        updated_at: 1,
        filter: 1,
      },
    })
    .sort({ updated_at: 1 })
    .toArray();
  return docs.map((d) => ({
    id: d._id,
    environment: d.environment,
    event_types: d.event_types,
    enabled: d.enabled,
    deleted: d.deleted === true,
    updated_at: d.updated_at,
    filter: typeof d.filter === 'string' ? d.filter : null,
  }));
}

/** Full documents for the given ids (missing ids are simply absent). */
export async function webhooksByIds(db: Db, ids: readonly string[]): Promise<WebhookDoc[]> {
  if (ids.length === 0) return [];
  return webhooksCollection(db)
    .find({ _id: { $in: [...ids] } })
    .toArray();
}
