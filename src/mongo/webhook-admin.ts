/**
 * Admin writes and paged reads of the `webhooks` collection (document shape in `webhooks.ts`).
 *
 * Every write bumps `updated_at` strictly past its previous value: routers poll `updated_at`, and
 * read-modify-write updates use it as their optimistic-concurrency token. Soft-deleted webhooks are
 * invisible here. Driver errors come back as `HookstreamError` (CONFLICT / STORE_UNAVAILABLE).
 */
import type { Db, Filter } from 'mongodb';
import { mapMongoError } from './errors.js';
import { type WebhookDoc, webhooksCollection } from './webhooks.js';

/** A position in the list order (created_at, then id). */
export interface WebhookPosition {
  readonly created_at: Date;
  readonly id: string;
}

export async function ensureWebhookAdminIndexes(db: Db): Promise<void> {
  // list pages of one environment, oldest first
  await webhooksCollection(db)
    .createIndex({ environment: 1, created_at: 1, _id: 1 }, { name: 'environment_created' })
    .catch((err: unknown) => {
      throw mapMongoError(err, 'webhook indexes');
    });
}

/** A timestamp strictly after `previous` (two writes in one millisecond still order). */
export function nextUpdatedAt(previous: Date, now: Date): Date {
  return now.getTime() > previous.getTime() ? now : new Date(previous.getTime() + 1);
}

export async function insertWebhook(db: Db, doc: WebhookDoc): Promise<void> {
  try {
    await webhooksCollection(db).insertOne(doc);
  } catch (err) {
    throw mapMongoError(err, `webhook ${doc._id}`);
  }
}

function live(environment: string, id: string): Filter<WebhookDoc> {
  return { _id: id, environment, deleted: { $ne: true } };
}

/** The webhook, or null when it does not exist, is deleted, or belongs to another environment. */
export async function findWebhook(db: Db, environment: string, id: string): Promise<WebhookDoc | null> {
  try {
    return await webhooksCollection(db).findOne(live(environment, id));
  } catch (err) {
    throw mapMongoError(err, `webhook ${id}`);
  }
}

/** Up to `limit` webhooks of `environment` after `after`, in (created_at, id) order. */
export async function listWebhooks(
  db: Db,
  environment: string,
  after: WebhookPosition | null,
  limit: number,
): Promise<WebhookDoc[]> {
  const filter: Filter<WebhookDoc> = { environment, deleted: { $ne: true } };
  if (after) {
    filter.$or = [
      { created_at: { $gt: after.created_at } },
      { created_at: after.created_at, _id: { $gt: after.id } },
    ];
  }
  try {
    return await webhooksCollection(db).find(filter).sort({ created_at: 1, _id: 1 }).limit(limit).toArray();
  } catch (err) {
    throw mapMongoError(err, `webhooks of ${environment}`);
  }
}

/**
 * Applies `set` if the webhook still has `expectedUpdatedAt` (nobody changed it since it was read).
 * Returns false when it changed or vanished in between. `set` must include the new `updated_at`.
 */
export async function updateWebhookIfUnchanged(
  db: Db,
  environment: string,
  id: string,
  expectedUpdatedAt: Date,
  set: Partial<Omit<WebhookDoc, '_id' | 'environment' | 'created_at'>> & { updated_at: Date },
): Promise<boolean> {
  try {
    const res = await webhooksCollection(db).updateOne(
      { ...live(environment, id), updated_at: expectedUpdatedAt },
      { $set: set },
    );
    return res.matchedCount === 1;
  } catch (err) {
    throw mapMongoError(err, `webhook ${id}`);
  }
}

/**
 * Soft delete: the router drops it on its next poll, senders refuse it, the API no longer shows it.
 * The stored secrets are erased. Returns false when there was no such (live) webhook.
 */
export async function softDeleteWebhook(
  db: Db,
  environment: string,
  id: string,
  now: Date,
): Promise<boolean> {
  const col = webhooksCollection(db);
  try {
    const doc = await col.findOne(live(environment, id), { projection: { updated_at: 1 } });
    if (!doc) return false;
    const res = await col.updateOne(live(environment, id), {
      $set: {
        deleted: true,
        enabled: false,
        disabled_reason: 'deleted',
        secrets: [],
        updated_at: nextUpdatedAt(doc.updated_at, now),
      },
    });
    return res.matchedCount === 1;
  } catch (err) {
    throw mapMongoError(err, `webhook ${id}`);
  }
}
