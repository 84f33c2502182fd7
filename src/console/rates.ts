/**
 * Attempt and dead-letter rates over the last hour, per minute, from the delivery records.
 *
 * Why the records and not an in-process ring of metric samples: the api role may run alone (its
 * process then makes no attempts), and the records are what every sender writes. A record keeps its
 * attempts (up to 20) with their times; a dead-lettered record has status `failed` and its
 * `updated_at` is when that happened. Reads are capped at MAX_ROWS attempts (the answer says when
 * the cap was hit). With HOOKSTREAM_DELIVERY_RECORDS=failures, first attempts that succeeded have
 * no record and are not counted.
 */
import type { Db } from 'mongodb';
import { type AttemptOutcome, deliveriesCollection } from '../mongo/deliveries.js';
import { mapMongoError } from '../mongo/errors.js';

/** Width of one bucket, milliseconds (1 minute). */
export const BUCKET_MS = 60_000;
/** Longest window a caller may ask for, minutes (6 h). */
export const MAX_WINDOW_MINUTES = 360;
/** Most attempts (and dead letters) read for one answer. */
export const MAX_ROWS = 50_000;

export interface RateBucket {
  /** Start of the minute (RFC 3339). */
  readonly start: string;
  readonly attempts: number;
  /** Attempts that were not a 2xx. */
  readonly failures: number;
  readonly dead_lettered: number;
}

export interface Rates {
  readonly since: string;
  readonly until: string;
  readonly bucket_seconds: number;
  readonly buckets: RateBucket[];
  readonly totals: {
    readonly attempts: number;
    readonly failures: number;
    readonly dead_lettered: number;
    /** Attempts by outcome class (success, http_5xx, timeout, …). */
    readonly by_outcome: Record<string, number>;
    /** Attempts by tier (deliveries = first attempts, then the retry tiers). */
    readonly by_tier: Record<string, number>;
  };
  /** True when a cap of MAX_ROWS was reached and the counts are a lower bound. */
  readonly truncated: boolean;
}

export interface AttemptPoint {
  readonly at: Date;
  readonly outcome: AttemptOutcome | string;
  readonly tier: string;
}

/** Pure: buckets attempts and dead-letter times into `minutes` one-minute buckets ending at `until`. */
export function bucketRates(
  attempts: readonly AttemptPoint[],
  deadLetters: readonly Date[],
  until: Date,
  minutes: number,
  truncated = false,
): Rates {
  // Buckets are whole minutes; the last one holds `until`.
  const end = Math.floor(until.getTime() / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
  const start = end - minutes * BUCKET_MS;
  const rows = Array.from({ length: minutes }, () => ({ attempts: 0, failures: 0, dead_lettered: 0 }));
  const byOutcome: Record<string, number> = {};
  const byTier: Record<string, number> = {};
  const slot = (t: Date) => {
    const i = Math.floor((t.getTime() - start) / BUCKET_MS);
    return i >= 0 && i < minutes ? rows[i] : undefined;
  };
  let total = 0;
  let failures = 0;
  for (const a of attempts) {
    const row = slot(a.at);
    if (!row) continue;
    total++;
    row.attempts++;
    byOutcome[a.outcome] = (byOutcome[a.outcome] ?? 0) + 1;
    byTier[a.tier] = (byTier[a.tier] ?? 0) + 1;
    if (a.outcome !== 'success') {
      row.failures++;
      failures++;
    }
  }
  let dead = 0;
  for (const t of deadLetters) {
    const row = slot(t);
    if (!row) continue;
    row.dead_lettered++;
    dead++;
  }
  return {
    since: new Date(start).toISOString(),
    until: until.toISOString(),
    bucket_seconds: BUCKET_MS / 1000,
    buckets: rows.map((r, i) => ({ start: new Date(start + i * BUCKET_MS).toISOString(), ...r })),
    totals: { attempts: total, failures, dead_lettered: dead, by_outcome: byOutcome, by_tier: byTier },
    truncated,
  };
}

/** Reads the attempts and dead letters of the last `minutes` (every environment) and buckets them. */
export async function readRates(db: Db, now: Date, minutes: number): Promise<Rates> {
  const since = new Date(now.getTime() - minutes * BUCKET_MS - BUCKET_MS);
  const col = deliveriesCollection(db);
  try {
    const [attempts, dead] = await Promise.all([
      col
        .aggregate<{ last_attempts: AttemptPoint }>([
          { $match: { updated_at: { $gte: since } } },
          { $unwind: '$last_attempts' },
          { $match: { 'last_attempts.at': { $gte: since } } },
          {
            $project: { _id: 0, 'last_attempts.at': 1, 'last_attempts.outcome': 1, 'last_attempts.tier': 1 },
          },
          { $limit: MAX_ROWS },
        ])
        .toArray(),
      col
        .find({ status: 'failed', updated_at: { $gte: since } }, { projection: { _id: 0, updated_at: 1 } })
        .limit(MAX_ROWS)
        .toArray(),
    ]);
    return bucketRates(
      attempts.map((a) => a.last_attempts),
      dead.map((d) => d.updated_at),
      now,
      minutes,
      attempts.length >= MAX_ROWS || dead.length >= MAX_ROWS,
    );
  } catch (err) {
    throw mapMongoError(err, 'attempt rates');
  }
}
