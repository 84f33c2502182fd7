/**
 * Sending again, through the normal pipeline (a job on the deliveries topic):
 * - `retryDelivery` — one delivery, now;
 * - `replayFailed` — every failed delivery of a webhook since T (bounded);
 * - `sendTestEvent` — a fresh `webhook.test` event to one webhook.
 *
 * A replayed job keeps the delivery id, event id and exact body; it makes attempt `attempts + 1`
 * with a fresh retry budget (`first_attempt_at: null`). The record is claimed first (status →
 * `pending`, a conditional update), so two replays of the same delivery cannot both queue it; if
 * Kafka then refuses the jobs, the claim is undone.
 */
import type { Filter } from 'mongodb';
import type { Envelope } from '../core/envelope.js';
import { HookstreamError } from '../core/errors.js';
import { type DeliveryJob, firstJob, replayJob } from '../core/job.js';
import { type DeliveryDoc, deliveriesCollection } from '../mongo/deliveries.js';
import { mapMongoError } from '../mongo/errors.js';
import type { WebhookDoc } from '../mongo/webhooks.js';
import { checkText } from '../security/text.js';
import type { ServiceContext } from './context.js';
import { findDelivery } from './deliveries.js';
import { requireWebhook } from './webhooks.js';

export const DEFAULT_REPLAY_LIMIT = 1_000;
export const MAX_REPLAY_LIMIT = 10_000;
/** Deliveries claimed and queued per round of a bulk replay (bodies are up to 1 MB each). */
const REPLAY_CHUNK = 100;
export const DEFAULT_TEST_MESSAGE = 'This is a test event sent by hookstream.';
/**
 * A replay claim (status `pending`, no attempt yet) older than this is stale — its job was lost
 * (a crash between claim and produce, or an undo that failed) — and may be retried again,
 * milliseconds (15 min).
 */
export const PENDING_CLAIM_TTL_MS = 15 * 60_000;

function requireEnabled(webhook: WebhookDoc): void {
  if (!webhook.enabled) {
    throw new HookstreamError(
      'CONFLICT',
      `webhook ${webhook._id} is disabled (${webhook.disabled_reason ?? 'manual'}); enable it first`,
    );
  }
}

function replayOf(doc: DeliveryDoc, now: Date): DeliveryJob {
  return replayJob(
    {
      delivery_id: doc._id,
      event_id: doc.event_id,
      event_type: doc.event_type,
      environment: doc.environment,
      webhook_id: doc.webhook_id,
      attempts: doc.attempts ?? 0,
      created_at: (doc.event_created_at ?? doc.created_at).toISOString(),
      body: doc.body,
    },
    now.getTime(),
  );
}

async function enqueueOr<T>(
  ctx: ServiceContext,
  jobs: readonly DeliveryJob[],
  undo: () => Promise<T>,
): Promise<void> {
  if (jobs.length === 0) return;
  try {
    await ctx.enqueue(jobs);
  } catch (err) {
    await undo().catch((undoErr: unknown) =>
      ctx.logger.error({ err: undoErr }, 'undoing a replay claim failed; the records stay pending'),
    );
    throw new HookstreamError('STORE_UNAVAILABLE', 'Kafka did not accept the jobs; nothing was queued', {
      cause: err,
      retriable: true,
    });
  }
}

export interface RetryResult {
  readonly delivery_id: string;
  readonly event_id: string;
  readonly attempt: number;
}

/** Queues one delivery again now. CONFLICT when it is already queued or its webhook is disabled. */
export async function retryDelivery(
  ctx: ServiceContext,
  environment: string,
  id: string,
): Promise<RetryResult> {
  const doc = await findDelivery(ctx, environment, id);
  requireEnabled(await requireWebhook(ctx, environment, doc.webhook_id));
  const now = ctx.now();
  const changedAt = doc.updated_at ?? doc.created_at;
  if (doc.status === 'pending' && now.getTime() - changedAt.getTime() < PENDING_CLAIM_TTL_MS) {
    throw new HookstreamError('CONFLICT', `delivery ${id} is already queued; wait for its attempt`);
  }
  if (typeof doc.body !== 'string') {
    throw new HookstreamError('CONFLICT', `delivery ${id} has no stored body and cannot be sent again`);
  }
  const col = deliveriesCollection(ctx.db);
  try {
    const claim = await col.updateOne(
      // A stale claim is taken over only if nobody else took it meanwhile (same updated_at).
      {
        _id: id,
        environment,
        status: doc.status,
        attempts: doc.attempts,
        ...(doc.status === 'pending' ? { updated_at: changedAt } : {}),
      },
      { $set: { status: 'pending', next_attempt_at: now, failure_reason: null, updated_at: now } },
    );
    if (claim.matchedCount !== 1) {
      throw new HookstreamError('CONFLICT', `delivery ${id} changed while it was being retried; try again`);
    }
  } catch (err) {
    throw mapMongoError(err, `delivery ${id}`);
  }
  const job = replayOf(doc, now);
  await enqueueOr(ctx, [job], () =>
    col.updateOne(
      { _id: id, status: 'pending', updated_at: now },
      {
        $set: {
          status: doc.status,
          next_attempt_at: doc.next_attempt_at,
          failure_reason: doc.failure_reason,
          updated_at: new Date(now.getTime() + 1),
        },
      },
    ),
  );
  ctx.logger.info(
    { delivery_id: id, webhook_id: doc.webhook_id, environment, attempt: job.attempt },
    'delivery retried',
  );
  return { delivery_id: id, event_id: doc.event_id, attempt: job.attempt };
}

export interface ReplayOptions {
  /** Deliveries that failed at or after this time. */
  readonly since: Date;
  /** …and before this time. @default now */
  readonly until?: Date | undefined;
  /** @default 1000, at most 10000 */
  readonly limit?: number | undefined;
}

/**
 * Queues every failed delivery of a webhook that failed in [since, until), oldest first, up to
 * `limit`. Returns how many were queued.
 */
export async function replayFailed(
  ctx: ServiceContext,
  environment: string,
  webhookId: string,
  opts: ReplayOptions,
): Promise<{ queued: number }> {
  const limit = opts.limit ?? DEFAULT_REPLAY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_REPLAY_LIMIT) {
    throw new HookstreamError('VALIDATION_FAILED', `limit: must be between 1 and ${MAX_REPLAY_LIMIT}`, {
      details: { field: 'limit' },
    });
  }
  requireEnabled(await requireWebhook(ctx, environment, webhookId));
  const start = ctx.now();
  // Deliveries that fail again while this runs are not picked up a second time.
  const until = opts.until !== undefined && opts.until < start ? opts.until : start;
  const col = deliveriesCollection(ctx.db);
  const failed: Filter<DeliveryDoc> = {
    webhook_id: webhookId,
    environment,
    status: 'failed',
    updated_at: { $gte: opts.since, $lt: until },
    body: { $exists: true },
  };
  let queued = 0;
  let lastClaim = start.getTime() - 1;
  try {
    while (queued < limit) {
      const docs = await col
        .find(failed)
        .sort({ updated_at: 1, _id: 1 })
        .limit(Math.min(REPLAY_CHUNK, limit - queued))
        .toArray();
      if (docs.length === 0) break;
      // The claim stamps a time no other claim of this call uses; the records carrying it are ours.
      const claimedAt = new Date(Math.max(ctx.now().getTime(), lastClaim + 1));
      lastClaim = claimedAt.getTime();
      const ids = docs.map((d) => d._id);
      await col.updateMany(
        { _id: { $in: ids }, status: 'failed' },
        {
          $set: {
            status: 'pending',
            next_attempt_at: claimedAt,
            failure_reason: null,
            updated_at: claimedAt,
          },
        },
      );
      const mine = new Set(
        (
          await col
            .find({ _id: { $in: ids }, status: 'pending', updated_at: claimedAt }, { projection: { _id: 1 } })
            .toArray()
        ).map((d) => d._id),
      );
      const byId = new Map(docs.map((d) => [d._id, d]));
      const jobs = docs
        .filter((d) => mine.has(d._id) && typeof d.body === 'string')
        .map((d) => replayOf(d, claimedAt));
      await enqueueOr(ctx, jobs, () =>
        Promise.all(
          [...mine].map((id) => {
            const d = byId.get(id)!;
            return col.updateOne(
              { _id: id, status: 'pending', updated_at: claimedAt },
              {
                $set: {
                  status: 'failed',
                  next_attempt_at: d.next_attempt_at,
                  failure_reason: d.failure_reason,
                  updated_at: d.updated_at,
                },
              },
            );
          }),
        ),
      );
      queued += jobs.length;
    }
  } catch (err) {
    throw mapMongoError(err, `replay of webhook ${webhookId}`);
  }
  ctx.logger.info(
    { webhook_id: webhookId, environment, queued, since: opts.since },
    'failed deliveries replayed',
  );
  return { queued };
}

export interface TestSendResult {
  readonly event_id: string;
  readonly delivery_id: string;
}

/** Sends a `webhook.test` event to this webhook only, through the pipeline. */
export async function sendTestEvent(
  ctx: ServiceContext,
  environment: string,
  webhookId: string,
  message: string = DEFAULT_TEST_MESSAGE,
): Promise<TestSendResult> {
  checkText('message', message);
  const webhook = await requireWebhook(ctx, environment, webhookId);
  requireEnabled(webhook);
  const now = ctx.now();
  const envelope: Envelope = {
    event_id: `evt_test_${ctx.randomBytes(16).toString('hex')}`,
    event_type: 'webhook.test',
    environment,
    created_at: now.toISOString(),
    data: { webhook_id: webhookId, message },
  };
  const job = firstJob(envelope, webhookId, now.getTime());
  await enqueueOr(ctx, [job], async () => {});
  ctx.logger.info({ webhook_id: webhookId, environment, event_id: envelope.event_id }, 'test event queued');
  return { event_id: envelope.event_id, delivery_id: job.delivery_id };
}
