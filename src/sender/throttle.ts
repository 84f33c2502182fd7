/**
 * Per-webhook rate limits in the sender (docs/options.md "Rate limit"): one pacer per webhook, in
 * the first-attempt consumer. A tier consumer forwards a limited webhook's due jobs, unchanged, to
 * `<prefix>.deliveries` (same key, so the same partition); the first-attempt consumer paces every
 * job of a limited webhook through the partition's `ThrottleQueue`:
 * - `go`: attempt now;
 * - `hold`: the job gives its window slot back (`ctx.attempted()`: a held job is not on the wire,
 *   so it never makes the consumer pause or other webhooks wait) and waits for the partition's one
 *   timer; its offset stays pending, so its partition's commit waits at most `holdMaxMs`;
 * - `defer`: re-produced unchanged, not as an attempt, to a retry tier (due then) and settled.
 * Waiting is never an attempt: the attempt number does not move, nothing is recorded, and the
 * time waited after the first attempt is added to `throttled_ms`, which moves the budget deadline.
 *
 * A released job makes its attempt outside the window (it gave its slot back); the number of
 * those on the wire is bounded by the webhook's own rate × its receiver's latency.
 */
import type { Message } from 'kafkajs';
import { onAbort } from '../core/abort.js';
import { type DeliveryJob, encodeJob } from '../core/job.js';
import { DEFAULT_HOLD_MAX_MS } from '../core/rate-limit.js';
import { RequestWindow } from '../core/request-window.js';
import type { Tier } from '../core/retry-policy.js';
import { ThrottleQueue } from '../core/throttle-queue.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';

export interface ThrottleDeps {
  /** `<prefix>.deliveries`, where forwarded jobs go. */
  readonly deliveriesTopic: string;
  /** Retry tiers and their topics, where deferred jobs wait. */
  readonly tiers: readonly { readonly tier: Tier; readonly topic: string }[];
  /** The label of the consumer (`deliveries`, a tier name), for metrics. */
  readonly label: string;
  readonly producer: { send(topic: string, message: Message): Promise<void> };
  /** The webhook's current limit (from the webhook cache); null: unlimited now. */
  readonly limitOf: (webhookId: string) => number | null;
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly clock: () => number;
  /** Most bytes of held job bodies per partition; beyond it jobs are deferred. */
  readonly maxHeldBytes: number;
  /** @default DEFAULT_HOLD_MAX_MS (10 s) */
  readonly holdMaxMs?: number;
}

/** What a held job is told: go (after `heldMs`), or it was dropped (its partition moved away). */
interface Waiter {
  readonly job: DeliveryJob;
  settle(heldMs: number | null): void;
}

/** The job as it is attempted after waiting `waitedMs`: counted only once the budget runs. */
function waited(job: DeliveryJob, waitedMs: number): DeliveryJob {
  if (job.first_attempt_at === null || waitedMs <= 0) return job;
  return { ...job, throttled_ms: (job.throttled_ms ?? 0) + Math.round(waitedMs) };
}

export class Throttle {
  readonly #d: ThrottleDeps;
  readonly #queues = new Map<number, ThrottleQueue<Waiter>>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  /** Requests of each limited webhook in flight or answered within the last second. */
  readonly #windows = new Map<string, RequestWindow>();

  constructor(deps: ThrottleDeps) {
    if (deps.tiers.length === 0) throw new RangeError('rate limits need at least one retry tier');
    this.#d = deps;
  }

  /** A due job of a limited webhook on a tier topic: to the first-attempt topic, unchanged. */
  async forward(job: DeliveryJob): Promise<void> {
    await this.#d.producer.send(this.#d.deliveriesTopic, { key: job.webhook_id, value: encodeJob(job) });
    metrics.throttleForwards.inc({ from: this.#d.label });
  }

  /**
   * Paces a due first-attempt-topic job of a webhook limited to `limitPerS`. Resolves to the job
   * to attempt now (with its `throttled_ms`), or null when it needs no attempt here: deferred to a
   * tier (its fate is on Kafka) or dropped because its partition was revoked (the new owner re-reads
   * it). Rejects when `signal` aborts (the consumer stops; the job stays uncommitted).
   */
  async pace(
    job: DeliveryJob,
    limitPerS: number,
    partition: number,
    ctx: { attempted(): void; readonly signal: AbortSignal },
  ): Promise<DeliveryJob | null> {
    const queue = this.#queueOf(partition);
    const now = this.#d.clock();
    let settle: (heldMs: number | null) => void = () => {};
    const turn = new Promise<number | null>((resolve) => {
      settle = resolve;
    });
    const admission = queue.admit(
      job.webhook_id,
      { job, settle: (ms) => settle(ms) },
      Buffer.byteLength(job.body, 'utf8'),
      limitPerS,
      now,
    );
    if (admission.kind === 'go') {
      this.#windowOf(job.webhook_id).start();
      return job;
    }
    if (admission.kind === 'defer') {
      const { tier } = admission;
      const target = this.#d.tiers.find((t) => t.tier.name === tier.name)!;
      const deferred = { ...waited(job, tier.delayMs), due_at: now + tier.delayMs };
      await this.#d.producer.send(target.topic, { key: job.webhook_id, value: encodeJob(deferred) });
      metrics.throttleDeferrals.inc({ tier: tier.name });
      return null;
    }
    ctx.attempted(); // held: not on the wire, so its window slot goes to other jobs
    metrics.throttleHeld.inc();
    this.#arm(partition);
    const forget = onAbort(ctx.signal, () => this.#drop(partition));
    let heldMs: number | null;
    try {
      heldMs = await turn;
    } finally {
      forget();
      metrics.throttleHeld.dec();
    }
    if (heldMs === null) {
      ctx.signal.throwIfAborted();
      return null;
    }
    return waited(job, heldMs);
  }

  /** The paced job's request starts now (`beforeAttempt` of `deliver`): later slots count from here. */
  started(job: DeliveryJob, partition: number): void {
    this.#queues.get(partition)?.started(job.webhook_id, this.#d.clock());
  }

  /**
   * A paced job's request is over (answered, failed or not made): its window slot ages out a
   * second from now, and held jobs waiting for it are looked at again.
   */
  finished(job: DeliveryJob, partition: number): void {
    const now = this.#d.clock();
    const window = this.#windows.get(job.webhook_id);
    if (window === undefined) return;
    window.finish(now);
    this.#arm(partition);
    if (this.#windows.size > 10_000) {
      for (const [id, w] of this.#windows) if (w.idle(now)) this.#windows.delete(id);
    }
  }

  #windowOf(webhookId: string): RequestWindow {
    let window = this.#windows.get(webhookId);
    if (window === undefined) {
      window = new RequestWindow();
      this.#windows.set(webhookId, window);
    }
    return window;
  }

  /** The partitions moved to another member: their held jobs are dropped, none is started. */
  revoked(partitions: readonly number[]): void {
    for (const p of partitions) this.#drop(p);
  }

  #queueOf(partition: number): ThrottleQueue<Waiter> {
    let queue = this.#queues.get(partition);
    if (queue === undefined) {
      queue = new ThrottleQueue<Waiter>(
        { holdMaxMs: this.#d.holdMaxMs ?? DEFAULT_HOLD_MAX_MS, maxHeldBytes: this.#d.maxHeldBytes },
        this.#d.tiers.map((t) => t.tier),
        (id, limit, now) => this.#windows.get(id)?.waitMs(limit, now) ?? 0,
      );
      this.#queues.set(partition, queue);
    }
    return queue;
  }

  /** (Re)sets the partition's one timer to its queue's next turn. */
  #arm(partition: number): void {
    const queue = this.#queues.get(partition);
    if (queue === undefined) return;
    const now = this.#d.clock();
    const { ready, wakeAtMs } = queue.take(now, this.#d.limitOf);
    for (const { job: waiter, heldMs } of ready) {
      this.#windowOf(waiter.job.webhook_id).start();
      waiter.settle(heldMs);
    }
    clearTimeout(this.#timers.get(partition));
    if (wakeAtMs === null) {
      this.#timers.delete(partition);
      return;
    }
    this.#timers.set(
      partition,
      setTimeout(() => this.#arm(partition), Math.max(1, wakeAtMs - now)),
    );
  }

  #drop(partition: number): void {
    clearTimeout(this.#timers.get(partition));
    this.#timers.delete(partition);
    const queue = this.#queues.get(partition);
    this.#queues.delete(partition);
    const dropped = queue?.clear() ?? [];
    for (const waiter of dropped) waiter.settle(null);
    if (dropped.length > 0)
      this.#d.logger.info(
        { partition, held: dropped.length },
        'held jobs of rate-limited webhooks dropped uncommitted (partition revoked or stopping); the owner re-reads them',
      );
  }

  /** Stops every timer; held jobs are dropped (the consumer is stopping). Idempotent. */
  close(): void {
    for (const p of [...this.#queues.keys()]) this.#drop(p);
  }
}
