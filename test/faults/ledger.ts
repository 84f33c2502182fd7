/**
 * The ledger of one fault scenario: what was produced (read back from the domain-event topic, the
 * authoritative record), what the receivers got (every request, with the answer they gave) and what
 * was dead-lettered. `reconcile()` matches them delivery by delivery and reports lost, duplicated
 * and dead-lettered deliveries, attempts per delivery, attempts made before their due time, and
 * deliveries dead-lettered before their budget was spent.
 *
 * A delivery is (event, matching webhook), identified by `deliveryId(event_id, webhook_id)`. It is
 * *delivered* when a receiver answered one of its requests with a 2xx, *dead-lettered* when its job
 * reached the dead-letter topic, and *lost* when neither happened. Every 2xx beyond the first is a
 * duplicate (at-least-once allows them; receivers dedupe on event id).
 */
import { createHmac } from 'node:crypto';
import { deliveryId } from '../../src/core/ids.js';
import type { Received, Reply } from '../support/receiver.js';

export interface LedgerWebhook {
  readonly id: string;
  /** Receiver path of this webhook; one path per webhook. */
  readonly path: string;
  readonly secret: string;
  readonly environment: string;
  /** Event types this webhook subscribes to, for the expected matches (exact, `family.*`, `*`). */
  readonly eventTypes: readonly string[];
}

export interface RetrySchedule {
  /** Tier delays, milliseconds, increasing; the last repeats. */
  readonly tiersMs: readonly number[];
  readonly budgetMs: number;
  /** HOOKSTREAM_DELIVERY_TIMEOUT_MS: an attempt may fail this long after it arrived (a hang). */
  readonly timeoutMs: number;
}

interface Attempt {
  readonly attempt: number;
  readonly at: number;
  /** The receiver's answer: an HTTP status, or `hang` (no answer; the sender times out). */
  readonly answer: number | 'hang';
}

interface Entry {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly webhook: LedgerWebhook;
  /** Kafka timestamp of the (first) record of the event, epoch ms. */
  producedAt: number;
  /** How often the event is on the domain-event topic (>1: the upstream producer duplicated it). */
  copies: number;
  readonly attempts: Attempt[];
  readonly deadLetters: { reason: string; at: number; attempt: number }[];
}

export interface Reconciliation {
  readonly events: number;
  /** Events that are on the topic more than once (upstream duplicates, not hookstream's doing). */
  readonly upstreamDuplicates: number;
  readonly expected: number;
  readonly delivered: number;
  readonly deadLettered: number;
  /** Delivery ids neither delivered nor dead-lettered. */
  readonly lost: string[];
  /** Deliveries answered 2xx more than once. */
  readonly duplicatedDeliveries: number;
  /** 2xx answers beyond the first, summed over deliveries (beyond the upstream copies). */
  readonly duplicates: number;
  /** Deliveries whose job reached the dead-letter topic more than once. */
  readonly deadLetteredTwice: string[];
  /** Deliveries both answered 2xx and dead-lettered. */
  readonly deliveredAndDeadLettered: string[];
  /** Requests whose delivery id does not belong to any produced (event, webhook) pair. */
  readonly unexpected: number;
  /** Requests whose signature did not verify with the webhook's secret. */
  readonly badSignatures: number;
  readonly requests: number;
  readonly maxAttempt: number;
  /** attempt number → deliveries that needed that many attempts to settle. */
  readonly attemptsHistogram: Record<number, number>;
  /** Attempt n+1 arriving sooner after attempt n than the smallest delay the schedule allows. */
  readonly early: { deliveryId: string; attempt: number; gapMs: number; minMs: number }[];
  /** Dead-lettered for `budget_exhausted` although a retry would still have fitted the budget. */
  readonly deadLetteredEarly: { deliveryId: string; spentMs: number }[];
}

export class Ledger {
  readonly #webhooks: readonly LedgerWebhook[];
  readonly #byPath = new Map<string, LedgerWebhook>();
  readonly #entries = new Map<string, Entry>();
  readonly #events = new Map<string, number>();
  /** Requests for delivery ids not (yet) known; resolved when the event is read back. */
  readonly #orphans = new Map<string, Attempt[]>();
  readonly #orphanDead = new Map<string, { reason: string; at: number; attempt: number }[]>();
  #requests = 0;
  #badSignatures = 0;
  #settled = 0;
  /** Arrival times of 2xx answers, in order. */
  readonly successTimes: number[] = [];

  constructor(webhooks: readonly LedgerWebhook[]) {
    this.#webhooks = webhooks;
    for (const w of webhooks) this.#byPath.set(w.path, w);
  }

  /** One domain event read back from its topic. */
  produced(event: { event_id: string; event_type: string; environment: string }, timestampMs: number): void {
    const copies = (this.#events.get(event.event_id) ?? 0) + 1;
    this.#events.set(event.event_id, copies);
    for (const w of this.#webhooks) {
      if (w.environment !== event.environment || !subscribed(w.eventTypes, event.event_type)) continue;
      const id = deliveryId(event.event_id, w.id);
      const known = this.#entries.get(id);
      if (known) {
        known.copies = copies;
        continue;
      }
      const entry: Entry = {
        deliveryId: id,
        eventId: event.event_id,
        webhook: w,
        producedAt: timestampMs,
        copies,
        attempts: this.#orphans.get(id) ?? [],
        deadLetters: this.#orphanDead.get(id) ?? [],
      };
      this.#orphans.delete(id);
      this.#orphanDead.delete(id);
      this.#entries.set(id, entry);
      if (this.#isSettled(entry)) this.#settled++;
    }
  }

  /** Wraps a receiver behaviour so every request and its answer are recorded. */
  receiver(behaviour: (req: Received, nth: number) => Reply): (req: Received, nth: number) => Reply {
    return (req, nth) => {
      const reply = behaviour(req, nth);
      this.observe(req, reply);
      return reply;
    };
  }

  observe(req: Received, reply: Reply): void {
    this.#requests++;
    const id = String(req.headers['coverbase-delivery-id'] ?? '');
    const attempt: Attempt = {
      attempt: Number(req.headers['coverbase-delivery-attempt'] ?? 0),
      at: req.at,
      answer: reply === 'hang' ? 'hang' : reply.status,
    };
    const webhook = this.#byPath.get(req.path);
    if (webhook && !signatureValid(req, webhook.secret)) this.#badSignatures++;
    const ok = isSuccess(attempt.answer);
    if (ok) this.successTimes.push(req.at);
    const entry = this.#entries.get(id);
    if (!entry) {
      const list = this.#orphans.get(id) ?? [];
      list.push(attempt);
      this.#orphans.set(id, list);
      return;
    }
    const before = this.#isSettled(entry);
    entry.attempts.push(attempt);
    if (!before && this.#isSettled(entry)) this.#settled++;
  }

  /** One job read from the dead-letter topic. */
  deadLettered(job: { delivery_id: string; attempt: number }, reason: string, at: number): void {
    const record = { reason, at, attempt: job.attempt };
    const entry = this.#entries.get(job.delivery_id);
    if (!entry) {
      const list = this.#orphanDead.get(job.delivery_id) ?? [];
      list.push(record);
      this.#orphanDead.set(job.delivery_id, list);
      return;
    }
    const before = this.#isSettled(entry);
    entry.deadLetters.push(record);
    if (!before && this.#isSettled(entry)) this.#settled++;
  }

  get expected(): number {
    return this.#entries.size;
  }

  get events(): number {
    return this.#events.size;
  }

  /** Expected deliveries neither delivered nor dead-lettered yet. */
  get outstanding(): number {
    return this.#entries.size - this.#settled;
  }

  get requests(): number {
    return this.#requests;
  }

  /** When the delivery was settled: its first 2xx, else its first dead-lettering. */
  #settledAt(e: Entry): number | null {
    const ok = e.attempts.find((a) => isSuccess(a.answer));
    return ok?.at ?? e.deadLetters[0]?.at ?? null;
  }

  /** When the last expected delivery settled, epoch ms (null while some are outstanding). */
  lastSettledAt(): number | null {
    let last = 0;
    for (const e of this.#entries.values()) {
      const at = this.#settledAt(e);
      if (at === null) return null;
      last = Math.max(last, at);
    }
    return last;
  }

  /**
   * First 2xx of a delivery whose event was produced at or after `since`, epoch ms: when the
   * pipeline moved new work end to end again.
   */
  firstDeliveryOfEventsSince(since: number): number | null {
    let first: number | null = null;
    for (const e of this.#entries.values()) {
      if (e.producedAt < since) continue;
      const ok = e.attempts.find((a) => isSuccess(a.answer));
      if (ok && (first === null || ok.at < first)) first = ok.at;
    }
    return first;
  }

  /** Expected deliveries of events produced between `from` and `to` (epoch ms). */
  expectedProducedBetween(from: number, to: number): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.producedAt >= from && e.producedAt <= to) n++;
    return n;
  }

  /** The first 2xx answer at or after `since` (epoch ms), or null. */
  firstSuccessAfter(since: number): number | null {
    let first: number | null = null;
    for (const t of this.successTimes) if (t >= since && (first === null || t < first)) first = t;
    return first;
  }

  /** 2xx answers between `from` and `to` (epoch ms). */
  successesBetween(from: number, to: number): number {
    return this.successTimes.filter((t) => t >= from && t <= to).length;
  }

  /** Longest time between two consecutive 2xx answers within [from, to], ms. */
  longestStall(from: number, to: number): number {
    const times = this.successTimes.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
    return longest;
  }

  reconcile(schedule: RetrySchedule): Reconciliation {
    const lost: string[] = [];
    const deadLetteredTwice: string[] = [];
    const deliveredAndDeadLettered: string[] = [];
    const early: Reconciliation['early'] = [];
    const deadLetteredEarly: Reconciliation['deadLetteredEarly'] = [];
    const attemptsHistogram: Record<number, number> = {};
    let delivered = 0;
    let deadLettered = 0;
    let duplicates = 0;
    let duplicatedDeliveries = 0;
    let maxAttempt = 0;
    const minTier = schedule.tiersMs[0]!;

    for (const e of this.#entries.values()) {
      const successes = e.attempts.filter((a) => isSuccess(a.answer)).length;
      if (successes > 0) delivered++;
      if (e.deadLetters.length > 0) deadLettered++;
      if (successes === 0 && e.deadLetters.length === 0) lost.push(e.deliveryId);
      if (successes > e.copies) {
        duplicatedDeliveries++;
        duplicates += successes - e.copies;
      }
      if (e.deadLetters.length > e.copies) deadLetteredTwice.push(e.deliveryId);
      if (successes > 0 && e.deadLetters.length > 0) deliveredAndDeadLettered.push(e.deliveryId);
      for (const a of e.attempts) maxAttempt = Math.max(maxAttempt, a.attempt);

      // Earliest arrival of each attempt number: attempt n+1 was scheduled by a failure of attempt
      // n, so it cannot be due before (earliest n) + the delay chosen then.
      const earliest = new Map<number, number>();
      for (const a of e.attempts) earliest.set(a.attempt, Math.min(earliest.get(a.attempt) ?? a.at, a.at));
      const first = earliest.get(1);
      const settling =
        e.attempts.find((a) => isSuccess(a.answer))?.attempt ?? Math.max(0, ...earliest.keys());
      if (settling > 0) attemptsHistogram[settling] = (attemptsHistogram[settling] ?? 0) + 1;
      for (const [n, at] of earliest) {
        const prev = earliest.get(n - 1);
        if (prev === undefined) continue;
        const gap = at - prev;
        const scheduled = schedule.tiersMs[Math.min(n - 2, schedule.tiersMs.length - 1)]!;
        // Near the end of the budget a shorter tier may be chosen; well inside it, the scheduled one.
        const inside =
          first !== undefined && prev - first + scheduled <= schedule.budgetMs - schedule.timeoutMs - 1_000;
        const minMs = inside ? scheduled : minTier;
        if (gap < minMs - 2) early.push({ deliveryId: e.deliveryId, attempt: n, gapMs: gap, minMs });
      }
      const budgetDead = e.deadLetters.find((d) => d.reason === 'budget_exhausted');
      if (budgetDead && first !== undefined) {
        const last = Math.max(...e.attempts.map((a) => a.at));
        // Dead-lettered after an attempt that failed at t only when t + smallest tier > first + budget;
        // the attempt failed at most one timeout after it arrived.
        const spentMs = last - first;
        if (spentMs < schedule.budgetMs - minTier - schedule.timeoutMs - 500)
          deadLetteredEarly.push({ deliveryId: e.deliveryId, spentMs });
      }
    }
    let unexpected = 0;
    for (const list of this.#orphans.values()) unexpected += list.length;
    return {
      events: this.#events.size,
      upstreamDuplicates: [...this.#events.values()].filter((n) => n > 1).length,
      expected: this.#entries.size,
      delivered,
      deadLettered,
      lost,
      duplicatedDeliveries,
      duplicates,
      deadLetteredTwice,
      deliveredAndDeadLettered,
      unexpected,
      badSignatures: this.#badSignatures,
      requests: this.#requests,
      maxAttempt,
      attemptsHistogram,
      early,
      deadLetteredEarly,
    };
  }

  #isSettled(e: Entry): boolean {
    return e.deadLetters.length > 0 || e.attempts.some((a) => isSuccess(a.answer));
  }
}

function isSuccess(answer: number | 'hang'): boolean {
  return answer !== 'hang' && answer >= 200 && answer < 300;
}

function subscribed(subscriptions: readonly string[], type: string): boolean {
  return subscriptions.some(
    (s) => s === '*' || s === type || (s.endsWith('.*') && type.startsWith(s.slice(0, -1))),
  );
}

/** Independent check of `Coverbase-Signature` (HMAC-SHA256 over `<t>.<body>`). */
function signatureValid(req: Received, secret: string): boolean {
  const header = String(req.headers['coverbase-signature'] ?? '');
  const m = /^t=(\d+),v1=([0-9a-f]{64})/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${m[1]}.${req.body}`)
    .digest('hex');
  return expected === m[2];
}

/** A small seeded PRNG (mulberry32), so a scenario's "random" receiver is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
