/**
 * The `deliveries` collection: one document per (event, webhook), written by the senders in batches
 * and read by the admin API.
 *
 * Each attempt outcome is one upsert: `$set` of the current status, `$setOnInsert` of what never
 * changes, and `$push` of the attempt onto `last_attempts` (MongoDB keeps the last 20 via `$slice`;
 * FerretDB ignores `$slice`, and the list stays short anyway because the retry budget bounds the
 * number of attempts). The outcome of a first attempt — the record's first write, almost always —
 * is written as a plain insert of the same document instead (`deliveryInsert`): far cheaper than
 * an upsert, and on FerretDB the difference is orders of magnitude (it scans the collection for
 * every update). An insert that meets an existing record falls back to the upsert.
 */
import type { Collection, Db } from 'mongodb';

export type DeliveryStatus = 'pending' | 'succeeded' | 'retrying' | 'failed';

/** Outcome class of one attempt — also the `outcome` label of the attempt metrics. */
export type AttemptOutcome =
  | 'success'
  | 'http_3xx'
  | 'http_4xx'
  | 'http_410'
  | 'http_429'
  | 'http_5xx'
  | 'timeout'
  | 'connection_refused'
  | 'dns'
  | 'tls'
  | 'network'
  | 'forbidden_target'
  | 'webhook_unavailable';

export interface AttemptRecord {
  readonly attempt: number;
  readonly at: Date;
  /** `deliveries` for first attempts, else the tier name (`1m`, …). */
  readonly tier: string;
  readonly outcome: AttemptOutcome;
  readonly status_code: number | null;
  readonly latency_ms: number;
  /** Short error text (never a secret), null on success. */
  readonly error: string | null;
}

export interface DeliveryDoc {
  _id: string;
  webhook_id: string;
  environment: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  /** Why it was dead-lettered (`budget_exhausted`, `webhook_disabled`, …). */
  failure_reason: string | null;
  event_created_at: Date;
  created_at: Date;
  updated_at: Date;
  last_attempts: AttemptRecord[];
  /** The exact JSON body that is POSTed and signed, kept for replays. */
  body: string;
  /** Which delivery options applied to the latest attempt (docs/options.md); absent on older records. */
  options_applied?: OptionsApplied;
  /** Time the delivery waited for its webhook's rate limit after its first attempt, ms. */
  throttled_ms?: number;
}

/** Which of the webhook's delivery options applied to an attempt. */
export interface OptionsApplied {
  /** The router's payload filter let the event through (false: no filter, a test send or a replay). */
  readonly filter: boolean;
  /** Names of the custom headers sent (never their values). */
  readonly headers: readonly string[];
  /** The webhook's rate limit when the attempt was made; null: unlimited. */
  readonly rate_limit_per_s: number | null;
}

export const ATTEMPTS_KEPT = 20;

export function deliveriesCollection(db: Db): Collection<DeliveryDoc> {
  return db.collection<DeliveryDoc>('deliveries');
}

export async function ensureDeliveryIndexes(db: Db): Promise<void> {
  const col = deliveriesCollection(db);
  // "deliveries of webhook W by time" (history pages, newest first)
  await col.createIndex({ webhook_id: 1, created_at: -1, _id: -1 }, { name: 'webhook_created' });
  // "failed (of webhook W) since T" (replay, alerts)
  await col.createIndex({ status: 1, updated_at: 1 }, { name: 'status_updated' });
  await col.createIndex({ webhook_id: 1, status: 1, updated_at: 1 }, { name: 'webhook_status_updated' });
  // "every delivery of event E" (lookup and erase by event_id)
  await col.createIndex({ environment: 1, event_id: 1 }, { name: 'environment_event' });
}

/** What a sender knows after one attempt (or a decision without an attempt, e.g. webhook disabled). */
export interface DeliveryUpdate {
  readonly delivery_id: string;
  readonly webhook_id: string;
  readonly environment: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly event_created_at: Date;
  /** The job body; null on a later write that need not carry it (the record exists already). */
  readonly body: string | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly next_attempt_at: Date | null;
  readonly failure_reason: string | null;
  readonly attempt: AttemptRecord | null;
  readonly now: Date;
  /** Set by the sender once an attempt was made. */
  readonly options_applied?: OptionsApplied;
  readonly throttled_ms?: number;
}

/** The option fields of an update, for `$set` and the first insert. */
function optionFields(u: DeliveryUpdate) {
  return {
    ...(u.options_applied === undefined ? {} : { options_applied: u.options_applied }),
    ...(u.throttled_ms === undefined ? {} : { throttled_ms: u.throttled_ms }),
  };
}

/**
 * The bulkWrite operation that creates a delivery's record from its first outcome: the document
 * `deliveryUpsert` would create. Fails with a duplicate key (11000) if the record exists already
 * (the job was redelivered or replayed); the caller then applies `deliveryUpsert` instead.
 */
export function deliveryInsert(u: DeliveryUpdate) {
  const document: DeliveryDoc = {
    _id: u.delivery_id,
    webhook_id: u.webhook_id,
    environment: u.environment,
    event_id: u.event_id,
    event_type: u.event_type,
    status: u.status,
    attempts: u.attempts,
    next_attempt_at: u.next_attempt_at,
    failure_reason: u.failure_reason,
    event_created_at: u.event_created_at,
    created_at: u.now,
    updated_at: u.now,
    last_attempts: u.attempt ? [u.attempt] : [],
    body: u.body ?? '',
    ...optionFields(u),
  };
  return { insertOne: { document } } as const;
}

/** The bulkWrite operation for one update. */
export function deliveryUpsert(u: DeliveryUpdate) {
  return {
    updateOne: {
      filter: { _id: u.delivery_id },
      upsert: true,
      update: {
        $set: {
          status: u.status,
          attempts: u.attempts,
          next_attempt_at: u.next_attempt_at,
          failure_reason: u.failure_reason,
          updated_at: u.now,
          ...optionFields(u),
        },
        $setOnInsert: {
          webhook_id: u.webhook_id,
          environment: u.environment,
          event_id: u.event_id,
          event_type: u.event_type,
          event_created_at: u.event_created_at,
          created_at: u.now,
          ...(u.body === null ? {} : { body: u.body }),
          ...(u.attempt ? {} : { last_attempts: [] }),
        },
        ...(u.attempt ? { $push: { last_attempts: { $each: [u.attempt], $slice: -ATTEMPTS_KEPT } } } : {}),
      },
    },
  } as const;
}
