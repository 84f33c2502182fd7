/**
 * Consumer lag and overdue seconds per tier for the console, measured on demand in the api role
 * (through the Kafka admin and the probe of `observability/lag.ts`), shared by concurrent callers
 * and kept for a few seconds so a refreshing page does not load the brokers.
 */
import { HookstreamError } from '../core/errors.js';
import type { LagRow } from '../observability/lag.js';

/** One reading of every watched group. */
export type LagSource = (now: number) => Promise<readonly LagRow[]>;

/** How long one reading may take before the answer is 503, milliseconds. */
export const LAG_TIMEOUT_MS = 8_000;
/** How long a reading is reused, milliseconds. */
export const LAG_CACHE_MS = 5_000;

export interface StageLag {
  /** `router`, `deliveries` (first attempts) or a retry tier (`1m`, …). */
  readonly stage: string;
  readonly group: string;
  readonly topic: string;
  readonly partitions: number;
  /** Messages not yet consumed, summed over partitions. */
  readonly lag: number;
  /** Worst partition: seconds its head job is past due; null for event topics (no due time). */
  readonly overdue_seconds: number | null;
}

/** Pure: one row per (stage, topic), in the order the rows came (router, deliveries, tiers). */
export function summarizeLag(rows: readonly LagRow[]): StageLag[] {
  const byKey = new Map<string, StageLag>();
  for (const r of rows) {
    const key = `${r.stage}\u0000${r.topic}`;
    const seen = byKey.get(key);
    const overdue =
      r.overdueSeconds === null
        ? (seen?.overdue_seconds ?? null)
        : Math.max(seen?.overdue_seconds ?? 0, r.overdueSeconds);
    byKey.set(key, {
      stage: r.stage,
      group: r.group,
      topic: r.topic,
      partitions: (seen?.partitions ?? 0) + 1,
      lag: (seen?.lag ?? 0) + r.lag,
      overdue_seconds: overdue,
    });
  }
  return [...byKey.values()];
}

export interface LagReading {
  readonly measured_at: string;
  readonly stages: StageLag[];
}

/** Wraps a source: one reading in flight at a time, reused for `cacheMs`, 503 after `timeoutMs`. */
export function onDemandLag(
  source: LagSource,
  opts: { timeoutMs?: number; cacheMs?: number; clock?: () => number } = {},
): () => Promise<LagReading> {
  const timeoutMs = opts.timeoutMs ?? LAG_TIMEOUT_MS;
  const cacheMs = opts.cacheMs ?? LAG_CACHE_MS;
  const clock = opts.clock ?? Date.now;
  let last: { at: number; reading: LagReading } | null = null;
  let inFlight: Promise<LagReading> | null = null;
  return async () => {
    const now = clock();
    if (last && now - last.at < cacheMs) return last.reading;
    inFlight ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new HookstreamError('STORE_UNAVAILABLE', `Kafka did not answer within ${timeoutMs / 1000} s`, {
                retriable: true,
              }),
            ),
          timeoutMs,
        );
      });
      try {
        const rows = await Promise.race([source(now), timeout]);
        const reading = { measured_at: new Date(now).toISOString(), stages: summarizeLag(rows) };
        last = { at: now, reading };
        return reading;
      } catch (err) {
        if (err instanceof HookstreamError) throw err;
        throw new HookstreamError('STORE_UNAVAILABLE', 'Kafka is unreachable; consumer lag is unknown', {
          cause: err,
          retriable: true,
        });
      } finally {
        clearTimeout(timer);
        inFlight = null;
      }
    })();
    return inFlight;
  };
}
