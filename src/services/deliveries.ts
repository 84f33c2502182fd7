/**
 * Delivery history: the records the senders write (`mongo/deliveries.ts`), newest first, with their
 * attempts (status code, latency, error).
 */
import type { Filter } from 'mongodb';
import { HookstreamError } from '../core/errors.js';
import {
  type DeliveryDoc,
  type DeliveryStatus,
  deliveriesCollection,
  type OptionsApplied,
} from '../mongo/deliveries.js';
import { mapMongoError } from '../mongo/errors.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, type Page, type PageRequest, pageLimit, toPage } from './pagination.js';
import { requireWebhook } from './webhooks.js';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'retrying', 'failed'];

export interface AttemptView {
  readonly attempt: number;
  readonly at: string;
  readonly tier: string;
  readonly outcome: string;
  readonly status_code: number | null;
  readonly latency_ms: number;
  readonly error: string | null;
}

export interface DeliveryView {
  readonly id: string;
  readonly webhook_id: string;
  readonly environment: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly status: DeliveryStatus;
  /** Attempts made so far. */
  readonly attempt_count: number;
  readonly next_attempt_at: string | null;
  readonly failure_reason: string | null;
  readonly event_created_at: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** The most recent attempts, oldest first. */
  readonly attempts: readonly AttemptView[];
  /** Which delivery options applied to the latest attempt; null before one (or on older records). */
  readonly options_applied: OptionsApplied | null;
  /** Time spent waiting for the webhook's rate limit after the first attempt, ms (not budget). */
  readonly throttled_ms: number;
}

export interface DeliveryDetailView extends DeliveryView {
  /** The exact body that is POSTed and signed. */
  readonly body: string | null;
}

export interface DeliveryFilters {
  readonly status?: DeliveryStatus | undefined;
  readonly event_type?: string | undefined;
  /** Created at or after. */
  readonly since?: Date | undefined;
  /** Created before. */
  readonly until?: Date | undefined;
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function toDeliveryView(doc: DeliveryDoc): DeliveryView {
  return {
    id: doc._id,
    webhook_id: doc.webhook_id,
    environment: doc.environment,
    event_id: doc.event_id,
    event_type: doc.event_type,
    status: doc.status,
    attempt_count: doc.attempts ?? 0,
    next_attempt_at: iso(doc.next_attempt_at),
    failure_reason: doc.failure_reason ?? null,
    event_created_at: iso(doc.event_created_at) ?? iso(doc.created_at)!,
    created_at: doc.created_at.toISOString(),
    updated_at: iso(doc.updated_at) ?? doc.created_at.toISOString(),
    attempts: (doc.last_attempts ?? []).map((a) => ({
      attempt: a.attempt,
      at: a.at.toISOString(),
      tier: a.tier,
      outcome: a.outcome,
      status_code: a.status_code ?? null,
      latency_ms: a.latency_ms,
      error: a.error ?? null,
    })),
    options_applied: doc.options_applied ?? null,
    throttled_ms: doc.throttled_ms ?? 0,
  };
}

export async function listDeliveries(
  ctx: ServiceContext,
  environment: string,
  webhookId: string,
  filters: DeliveryFilters = {},
  page: PageRequest = {},
): Promise<Page<DeliveryView>> {
  await requireWebhook(ctx, environment, webhookId);
  const limit = pageLimit(page.limit);
  const before = decodeCursor(page.cursor);
  const filter: Filter<DeliveryDoc> = { webhook_id: webhookId, environment };
  if (filters.status !== undefined) filter.status = filters.status;
  if (filters.event_type !== undefined) filter.event_type = filters.event_type;
  if (filters.since !== undefined || filters.until !== undefined) {
    filter.created_at = {
      ...(filters.since !== undefined ? { $gte: filters.since } : {}),
      ...(filters.until !== undefined ? { $lt: filters.until } : {}),
    };
  }
  if (before) {
    filter.$or = [{ created_at: { $lt: before.at } }, { created_at: before.at, _id: { $lt: before.id } }];
  }
  let rows: DeliveryDoc[];
  try {
    rows = await deliveriesCollection(ctx.db)
      .find(filter, { projection: { body: 0 } })
      .sort({ created_at: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
  } catch (err) {
    throw mapMongoError(err, `deliveries of webhook ${webhookId}`);
  }
  return toPage(rows, limit, (d) => ({ at: d.created_at, id: d._id }), toDeliveryView);
}

/** The delivery record, or NOT_FOUND (also when it belongs to another environment). */
export async function findDelivery(
  ctx: ServiceContext,
  environment: string,
  id: string,
): Promise<DeliveryDoc> {
  let doc: DeliveryDoc | null;
  try {
    doc = await deliveriesCollection(ctx.db).findOne({ _id: id, environment });
  } catch (err) {
    throw mapMongoError(err, `delivery ${id}`);
  }
  if (!doc)
    throw new HookstreamError('NOT_FOUND', `delivery ${id} not found`, { details: { field: 'delivery_id' } });
  return doc;
}

export async function getDelivery(
  ctx: ServiceContext,
  environment: string,
  id: string,
): Promise<DeliveryDetailView> {
  const doc = await findDelivery(ctx, environment, id);
  return { ...toDeliveryView(doc), body: doc.body ?? null };
}
