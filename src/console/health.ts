/**
 * What the console shows about webhooks and environments, read from the delivery records the
 * senders write (MongoDB is the one place every role records to, so the answers are right whether
 * the api runs alone or inside `hookstream all`).
 *
 * FerretDB runs only basic aggregation, and its `$unwind` keeps nothing but `_id` and the unwound
 * field: so attempts are counted per webhook (one `$match → $unwind → $match → $group` each), and the
 * last status and next retry are single sorted reads. A page of 200 webhooks costs 600 small reads,
 * at most HEALTH_CONCURRENCY at a time.
 */
import type { Db } from 'mongodb';
import { deliveriesCollection } from '../mongo/deliveries.js';
import { mapMongoError } from '../mongo/errors.js';
import { webhooksCollection } from '../mongo/webhooks.js';

/** The health window, milliseconds (24 h). */
export const HEALTH_WINDOW_MS = 86_400_000;
/** Webhooks whose health is read at the same time. */
const HEALTH_CONCURRENCY = 8;

export interface WebhookHealth {
  /** Attempts made in the window. */
  readonly attempts: number;
  /** …of which answered 2xx. */
  readonly successes: number;
  /** successes / attempts, 0..1; null when there was no attempt. */
  readonly success_rate: number | null;
  /** Status of the newest delivery (pending, succeeded, retrying, failed); null when none. */
  readonly last_status: string | null;
  readonly last_delivery_at: string | null;
  /** Due time of the earliest delivery waiting in a retry tier; null when none waits. */
  readonly next_retry_at: string | null;
}

export async function webhookHealth(
  db: Db,
  environment: string,
  webhookId: string,
  now: Date,
): Promise<WebhookHealth> {
  const since = new Date(now.getTime() - HEALTH_WINDOW_MS);
  const col = deliveriesCollection(db);
  try {
    const [byOutcome, last, retry] = await Promise.all([
      col
        .aggregate<{ _id: string; n: number }>([
          // A record's updated_at is at least its newest attempt's time: this narrows before the unwind.
          { $match: { webhook_id: webhookId, environment, updated_at: { $gte: since } } },
          { $unwind: '$last_attempts' },
          { $match: { 'last_attempts.at': { $gte: since } } },
          { $group: { _id: '$last_attempts.outcome', n: { $sum: 1 } } },
        ])
        .toArray(),
      col
        .find({ webhook_id: webhookId, environment }, { projection: { status: 1, created_at: 1 } })
        .sort({ created_at: -1, _id: -1 })
        .limit(1)
        .next(),
      col
        .find(
          { webhook_id: webhookId, environment, status: 'retrying' },
          { projection: { next_attempt_at: 1 } },
        )
        .sort({ next_attempt_at: 1 })
        .limit(1)
        .next(),
    ]);
    const attempts = byOutcome.reduce((sum, g) => sum + g.n, 0);
    const successes = byOutcome.find((g) => g._id === 'success')?.n ?? 0;
    return {
      attempts,
      successes,
      success_rate: attempts === 0 ? null : successes / attempts,
      last_status: last?.status ?? null,
      last_delivery_at: last?.created_at?.toISOString() ?? null,
      next_retry_at: retry?.next_attempt_at?.toISOString() ?? null,
    };
  } catch (err) {
    throw mapMongoError(err, `health of webhook ${webhookId}`);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  fn: (item: T) => Promise<R>,
  limit = HEALTH_CONCURRENCY,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface EnvironmentSummary {
  readonly name: string;
  /** Live (not deleted) webhooks. */
  readonly webhooks: number;
}

/** Every environment that has a live webhook, by name; or only `only` (a scoped key's own). */
export async function listEnvironments(db: Db, only: string | null): Promise<EnvironmentSummary[]> {
  try {
    const rows = await webhooksCollection(db)
      .aggregate<{ _id: string; n: number }>([
        {
          $match: only === null ? { deleted: { $ne: true } } : { environment: only, deleted: { $ne: true } },
        },
        { $group: { _id: '$environment', n: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    const found = rows.map((r) => ({ name: r._id, webhooks: r.n }));
    // A scoped key's environment is shown even before it has a webhook.
    if (only !== null && found.length === 0) return [{ name: only, webhooks: 0 }];
    return found;
  } catch (err) {
    throw mapMongoError(err, 'environments');
  }
}

/** How many deliveries `replayFailed` would queue for this webhook and window (before its limit). */
export async function countReplayable(
  db: Db,
  environment: string,
  webhookId: string,
  since: Date,
  until: Date,
): Promise<number> {
  try {
    return await deliveriesCollection(db).countDocuments({
      webhook_id: webhookId,
      environment,
      status: 'failed',
      updated_at: { $gte: since, $lt: until },
      body: { $exists: true },
    });
  } catch (err) {
    throw mapMongoError(err, `replay preview of webhook ${webhookId}`);
  }
}
