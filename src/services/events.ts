/**
 * One domain event across webhooks, by the `event_id` upstream knows: every delivery of it, and
 * erasing what hookstream stored of it.
 *
 * Erase removes each delivery record's `body` (the signed JSON that was POSTed) and every field of
 * its attempts beyond the fixed attempt fields (`ATTEMPT_FIELDS`), which is where response
 * excerpts live. Status, attempts, times and error classes stay: the history still says what
 * happened, not what was said. A record without a body cannot be replayed (CONFLICT).
 *
 * Honest limits, documented in the README: copies of the event on Kafka topics (the domain-event
 * topic, `<prefix>.deliveries`, the retry tiers, the dead letter) live until each topic's retention
 * (`hookstream topics create` sets 7–14 days); a delivery still on its way when the erase runs
 * writes its first record afterwards, with the body — erase again once it has finished.
 */
import type { Filter } from 'mongodb';
import { HookstreamError } from '../core/errors.js';
import { type DeliveryDoc, deliveriesCollection } from '../mongo/deliveries.js';
import { mapMongoError } from '../mongo/errors.js';
import type { ServiceContext } from './context.js';
import { type DeliveryView, toDeliveryView } from './deliveries.js';

/** Most deliveries one event has: one per webhook, and an environment has at most a few hundred. */
export const MAX_EVENT_DELIVERIES = 1000;
/** The attempt fields an erase keeps; anything else on an attempt is receiver data and goes. */
export const ATTEMPT_FIELDS: readonly string[] = [
  'attempt',
  'at',
  'tier',
  'outcome',
  'status_code',
  'latency_ms',
  'error',
];
/** Conditional rewrites of one record before giving up with CONFLICT. */
const ERASE_ATTEMPTS = 3;

export interface EventDeliveries {
  readonly environment: string;
  readonly event_id: string;
  /** Oldest first. */
  readonly data: readonly DeliveryView[];
}

export interface ErasedDelivery {
  readonly delivery_id: string;
  readonly webhook_id: string;
  /** A stored body was removed by this call (false: there was none, e.g. erased before). */
  readonly body_erased: boolean;
  /** Attempts whose response data was removed by this call. */
  readonly response_excerpts_erased: number;
}

export interface EraseResult {
  readonly environment: string;
  readonly event_id: string;
  readonly erased_at: string;
  /** Every delivery record of the event, whether or not it still held anything. */
  readonly deliveries: readonly ErasedDelivery[];
}

async function eventRecords(
  ctx: ServiceContext,
  environment: string,
  eventId: string,
  projection: Record<string, 0 | 1>,
  extra: Filter<DeliveryDoc> = {},
): Promise<DeliveryDoc[]> {
  try {
    return await deliveriesCollection(ctx.db)
      .find({ ...extra, environment, event_id: eventId }, { projection })
      .sort({ created_at: 1, _id: 1 })
      .limit(MAX_EVENT_DELIVERIES)
      .toArray();
  } catch (err) {
    throw mapMongoError(err, `deliveries of event ${eventId}`);
  }
}

/** Every delivery of one event in `environment`, across webhooks, with its attempts (no bodies). */
export async function listEventDeliveries(
  ctx: ServiceContext,
  environment: string,
  eventId: string,
): Promise<EventDeliveries> {
  const docs = await eventRecords(ctx, environment, eventId, { body: 0 });
  return { environment, event_id: eventId, data: docs.map(toDeliveryView) };
}

/** Removes the stored bodies and response data of every delivery of one event; answers what it erased. */
export async function eraseEvent(
  ctx: ServiceContext,
  environment: string,
  eventId: string,
): Promise<EraseResult> {
  const now = ctx.now();
  const docs = await eventRecords(ctx, environment, eventId, { body: 0 });
  // Which still hold a body, in one query: then every write below filters on `_id` alone, the one
  // filter FerretDB answers from an index.
  const withBody = new Set(
    (await eventRecords(ctx, environment, eventId, { _id: 1 }, { body: { $exists: true } })).map(
      (d) => d._id,
    ),
  );
  const deliveries: ErasedDelivery[] = [];
  for (const doc of docs) deliveries.push(await eraseRecord(ctx, doc, withBody.has(doc._id), now));
  ctx.logger.info(
    {
      environment,
      event_id: eventId,
      deliveries: deliveries.length,
      bodies_erased: deliveries.filter((d) => d.body_erased).length,
    },
    'event erased from delivery records',
  );
  return { environment, event_id: eventId, erased_at: now.toISOString(), deliveries };
}

const extraFields = (attempt: object): boolean =>
  Object.keys(attempt).some((k) => !ATTEMPT_FIELDS.includes(k));

function stripAttempt(attempt: object): object {
  return Object.fromEntries(Object.entries(attempt).filter(([k]) => ATTEMPT_FIELDS.includes(k)));
}

async function eraseRecord(
  ctx: ServiceContext,
  first: DeliveryDoc,
  hasBody: boolean,
  now: Date,
): Promise<ErasedDelivery> {
  const col = deliveriesCollection(ctx.db);
  let doc: DeliveryDoc | null = first;
  try {
    for (let i = 0; i < ERASE_ATTEMPTS && doc !== null; i++) {
      const attempts = doc.last_attempts ?? [];
      const excerpts = attempts.filter(extraFields).length;
      if (excerpts === 0) {
        // Only the body: an unconditional $unset cannot lose a sender's concurrent $push.
        if (hasBody) {
          await col.updateOne(
            { _id: doc._id },
            { $unset: { body: '' }, $set: { erased_at: now } as Partial<DeliveryDoc> },
          );
        }
        return {
          delivery_id: doc._id,
          webhook_id: doc.webhook_id,
          body_erased: hasBody,
          response_excerpts_erased: 0,
        };
      }
      // Rewriting the attempts is conditional on the record being unchanged since it was read.
      const res = await col.updateOne(
        { _id: doc._id, updated_at: doc.updated_at },
        {
          $unset: { body: '' },
          $set: { last_attempts: attempts.map(stripAttempt), erased_at: now } as Partial<DeliveryDoc>,
        },
      );
      if (res.matchedCount === 1) {
        return {
          delivery_id: doc._id,
          webhook_id: doc.webhook_id,
          body_erased: hasBody,
          response_excerpts_erased: excerpts,
        };
      }
      doc = await col.findOne({ _id: doc._id }, { projection: { body: 0 } });
    }
  } catch (err) {
    throw mapMongoError(err, `delivery ${first._id}`);
  }
  if (doc === null) {
    return {
      delivery_id: first._id,
      webhook_id: first.webhook_id,
      body_erased: false,
      response_excerpts_erased: 0,
    };
  }
  ctx.logger.warn(
    { delivery_id: first._id, event_id: first.event_id },
    'erase gave up: the record keeps changing',
  );
  throw new HookstreamError('CONFLICT', `delivery ${first._id} is being written concurrently; erase again`);
}
