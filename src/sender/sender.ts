/**
 * A sender consumes one topic — `<prefix>.deliveries` (first attempts) or one retry tier — in its
 * own consumer group, and for each job: waits until it is due (by pausing the partition, never by
 * sleeping in the handler), signs it, POSTs it within the in-flight window, records the outcome, and
 * on failure re-produces it to the next tier or the dead-letter topic. Offsets are committed in
 * order, only up to the lowest job whose outcome is not yet acknowledged by Kafka.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { TopicNames } from '../config/topics.js';
import { isHookstreamError } from '../core/errors.js';
import { type DeliveryJob, decodeJob, encodeJob, nextJob } from '../core/job.js';
import { parseRetryAfter } from '../core/retry-after.js';
import { nextAttempt, type RetryPolicy } from '../core/retry-policy.js';
import { signatureHeader, standardWebhooksHeaders } from '../core/signing.js';
import type { BatchingProducer } from '../kafka/batching-producer.js';
import { consumerConfig, type KafkaTunables } from '../kafka/tunables.js';
import type { AttemptRecord, DeliveryStatus } from '../mongo/deliveries.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import type { DeliveryRecorder } from './delivery-recorder.js';
import type { AttemptResult, HttpClient } from './http-client.js';
import { PartitionProgress, Window } from './progress.js';
import type { SendableWebhook, WebhookCache } from './webhook-cache.js';

export interface SenderOptions {
  kafka: Kafka;
  tunables: KafkaTunables;
  logger: Logger;
  /** Which topic this sender consumes: `deliveries` or a tier name. */
  tier: string;
  topic: string;
  groupId: string;
  names: TopicNames;
  policy: RetryPolicy;
  producer: BatchingProducer;
  webhooks: WebhookCache;
  http: HttpClient;
  recorder: DeliveryRecorder;
  /** Disables a webhook whose receiver answered 410 Gone. */
  disableWebhook: (webhookId: string, reason: string) => Promise<void>;
  headerPrefix: string;
  /** Attempts in flight for less than `slowAfterMs`, at most (the window). */
  concurrency: number;
  /**
   * An attempt still unanswered after this long gives its window slot back and waits in the slow
   * lane, so receivers that hang until the timeout do not hold up the healthy ones. Milliseconds.
   * @default 250
   */
  slowAfterMs?: number;
  /**
   * Attempts waiting in the slow lane, at most; when it is full a slow attempt keeps its window
   * slot. Bounds the memory hanging receivers can take (~25 KB of heap each) and, divided by the
   * delivery timeout, the rate of hanging attempts absorbed without slowing the others
   * (2 048 / 10 s ≈ 200 per second with the defaults).
   * @default 8 × concurrency
   */
  slowConcurrency?: number;
  /** How often offsets are committed, milliseconds. @default 1_000 */
  commitIntervalMs?: number;
  /** Wait before retrying jobs whose webhook cannot be read (MongoDB down), milliseconds. @default 2_000 */
  storeRetryMs?: number;
  /** Broker fetch wait; bounds how late a resumed partition is read, milliseconds. @default 200 */
  maxWaitTimeMs?: number;
}

export class Sender {
  readonly #o: SenderOptions;
  readonly #log: Logger;
  readonly #window: Window;
  /** Attempts slower than `slowAfterMs` that gave their window slot back. */
  readonly #slow: Window;
  readonly #slowAfterMs: number;
  readonly #progress = new Map<number, PartitionProgress>();
  readonly #resumeTimers = new Map<number, NodeJS.Timeout>();
  #consumer: Consumer | null = null;
  #commitTimer: NodeJS.Timeout | null = null;
  #joined = false;
  #stopping = false;
  #closed: Promise<void> | null = null;
  #attemptsDuringShutdown = 0;

  constructor(opts: SenderOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ role: 'sender', tier: opts.tier });
    this.#window = new Window(opts.concurrency);
    this.#slow = new Window(opts.slowConcurrency ?? 8 * opts.concurrency);
    this.#slowAfterMs = opts.slowAfterMs ?? 250;
  }

  get ready(): boolean {
    return this.#joined && !this.#stopping;
  }

  get inFlight(): number {
    return this.#window.inUse + this.#slow.inUse;
  }

  async start(): Promise<void> {
    const consumer = this.#o.kafka.consumer(consumerConfig(this.#o.groupId, this.#o.tunables));
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.#onAssignment(consumer, e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      this.#joined = false;
      this.#log.error({ err: e.payload.error, restart: e.payload.restart }, 'sender consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.#o.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.#handleBatch(payload),
    });
    this.#consumer = consumer;
    this.#scheduleCommit();
    this.#log.info(
      { topic: this.#o.topic, group: this.#o.groupId, window: this.#o.concurrency },
      'sender started',
    );
  }

  #onAssignment(consumer: Consumer, assignment: Record<string, number[]>): void {
    this.#joined = true;
    const topic = this.#o.topic;
    const mine = new Set(assignment[topic] ?? []);
    for (const p of [...this.#progress.keys()]) {
      if (!mine.has(p)) {
        // Another member owns it now and re-reads it from the committed offset.
        this.#progress.delete(p);
        this.#clearPause(p);
      }
    }
    // kafkajs keeps pause state client-side across rebalances: a partition paused here, moved to
    // another member and later given back would stay paused, with no timer left to resume it.
    // Resume every paused partition that has no resume timer; the handler pauses it again if its
    // head is not due yet.
    if (!this.#stopping) {
      const orphaned = consumer
        .paused()
        .filter((tp) => tp.topic === topic)
        .flatMap((tp) => tp.partitions)
        .filter((p) => !this.#resumeTimers.has(p));
      if (orphaned.length > 0) consumer.resume([{ topic, partitions: orphaned }]);
    }
    this.#log.info({ partitions: [...mine].sort((a, b) => a - b) }, 'sender joined its consumer group');
  }

  #progressFor(partition: number): PartitionProgress {
    let p = this.#progress.get(partition);
    if (!p) {
      p = new PartitionProgress();
      this.#progress.set(partition, p);
    }
    return p;
  }

  async #handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const partition = batch.partition;
    const progress = this.#progressFor(partition);

    const entries = batch.messages.map((m) => ({ message: m, job: tryDecode(m) }));
    const now = Date.now();
    const dueIds = entries.flatMap((e) =>
      e.job instanceof Error || e.job.due_at > now ? [] : [e.job.webhook_id],
    );
    await this.#o.webhooks.refresh(dueIds, now);

    for (const { message, job } of entries) {
      if (this.#stopping || !isRunning() || isStale()) break;
      const offset = Number(message.offset);
      if (progress.seen(offset)) {
        resolveOffset(message.offset);
        continue;
      }
      if (job instanceof Error) {
        progress.dispatched(offset);
        resolveOffset(message.offset);
        await this.#quarantineJob(message, partition, job);
        progress.finished(offset);
        continue;
      }
      const wait = job.due_at - Date.now();
      if (wait > 0) {
        this.#pauseUntil(partition, job.due_at);
        break;
      }
      const webhook = this.#o.webhooks.get(job.webhook_id);
      if (webhook === undefined) {
        this.#log.warn(
          { ...ids(job), partition, offset: message.offset },
          'webhook cannot be read (MongoDB unreachable?); the job waits and is retried',
        );
        this.#pauseUntil(partition, Date.now() + (this.#o.storeRetryMs ?? 2_000));
        break;
      }
      await this.#window.acquire(heartbeat);
      if (this.#stopping) {
        this.#window.release();
        break;
      }
      progress.dispatched(offset);
      resolveOffset(message.offset);
      metrics.inFlight.inc({ tier: this.#o.tier });
      let lane = this.#window;
      const slowTimer = setTimeout(() => {
        if (!this.#slow.tryAcquire()) return;
        lane = this.#slow;
        this.#window.release();
      }, this.#slowAfterMs);
      void this.#deliver(job, webhook)
        .then(
          () => progress.finished(offset),
          (err: unknown) =>
            // Outcome not acknowledged by Kafka: the offset stays uncommitted, the job is re-read.
            this.#log.error(
              { err, ...ids(job), partition, offset },
              'delivery outcome could not be stored; the job will be retried by the next owner of this partition',
            ),
        )
        .finally(() => {
          clearTimeout(slowTimer);
          lane.release();
          metrics.inFlight.dec({ tier: this.#o.tier });
          if (this.#stopping) this.#attemptsDuringShutdown++;
        });
    }
  }

  /** One attempt and its consequence. Resolves once the outcome is acknowledged by Kafka. */
  async #deliver(job: DeliveryJob, webhook: SendableWebhook | null): Promise<void> {
    const startedAt = Date.now();
    metrics.lateness.observe({ tier: this.#o.tier }, Math.max(0, startedAt - job.due_at) / 1000);
    const firstAttemptAt = job.first_attempt_at ?? startedAt;

    if (webhook === null || webhook.deleted)
      return this.#deadLetter(job, firstAttemptAt, 'webhook_deleted', null);
    if (!webhook.enabled) return this.#deadLetter(job, firstAttemptAt, 'webhook_disabled', null);
    if (webhook.secrets.length === 0) return this.#deadLetter(job, firstAttemptAt, 'no_valid_secret', null);

    const result = await this.#o.http.post(webhook.url, this.#headers(job, webhook, startedAt), job.body);
    const attempt: AttemptRecord = {
      attempt: job.attempt,
      at: new Date(startedAt),
      tier: this.#o.tier,
      outcome: result.outcome,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      error: result.error,
    };
    metrics.attempts.inc({ tier: this.#o.tier, outcome: result.outcome });
    metrics.attemptDuration.observe({ tier: this.#o.tier, outcome: result.outcome }, result.latencyMs / 1000);

    if (result.outcome === 'success') {
      const createdAt = Date.parse(job.created_at);
      metrics.endToEnd.observe({ tier: this.#o.tier }, Math.max(0, Date.now() - createdAt) / 1000);
      this.#log.debug({ ...ids(job), status: result.statusCode, latency_ms: result.latencyMs }, 'delivered');
      this.#record(job, firstAttemptAt, 'succeeded', null, null, attempt);
      return;
    }
    this.#logFailure(job, result);
    if (result.outcome === 'http_410') {
      await this.#o.disableWebhook(job.webhook_id, 'gone');
      this.#o.webhooks.invalidate(job.webhook_id);
      this.#log.warn({ ...ids(job) }, 'receiver answered 410 Gone: webhook disabled');
      return this.#deadLetter(job, firstAttemptAt, 'webhook_gone', attempt);
    }
    const honoursRetryAfter = result.statusCode === 429 || result.statusCode === 503;
    const next = nextAttempt(
      {
        firstAttemptAtMs: firstAttemptAt,
        now: Date.now(),
        attempt: job.attempt,
        retryAfterMs: honoursRetryAfter ? parseRetryAfter(result.retryAfter, Date.now()) : null,
      },
      this.#o.policy,
    );
    if (next.kind === 'dead-letter') return this.#deadLetter(job, firstAttemptAt, next.reason, attempt);

    const target = this.#o.names.retry.find((r) => r.tier.name === next.tier.name)!;
    const retryJob = nextJob(job, {
      attempt: next.attempt,
      dueAtMs: next.dueAtMs,
      firstAttemptAtMs: firstAttemptAt,
    });
    await this.#produce(target.topic, job.webhook_id, encodeJob(retryJob), {});
    metrics.retriesScheduled.inc({ from: this.#o.tier, to: next.tier.name });
    this.#record(job, firstAttemptAt, 'retrying', new Date(next.dueAtMs), null, attempt);
  }

  #headers(job: DeliveryJob, webhook: SendableWebhook, nowMs: number): Record<string, string> {
    const p = this.#o.headerPrefix;
    const timestampSec = Math.floor(nowMs / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [`${p}-Event-Id`]: job.event_id,
      [`${p}-Event-Type`]: job.event_type,
      [`${p}-Delivery-Id`]: job.delivery_id,
      [`${p}-Delivery-Attempt`]: String(job.attempt),
      [`${p}-Signature`]: signatureHeader({ secrets: webhook.secrets, timestampSec, body: job.body }),
    };
    if (webhook.standardWebhooks) {
      Object.assign(
        headers,
        standardWebhooksHeaders({
          msgId: job.delivery_id,
          timestampSec,
          body: job.body,
          secrets: webhook.secrets,
        }),
      );
    }
    return headers;
  }

  async #deadLetter(
    job: DeliveryJob,
    firstAttemptAt: number,
    reason: string,
    attempt: AttemptRecord | null,
  ): Promise<void> {
    const headers: Record<string, string> = { 'hookstream-dead-letter-reason': reason };
    if (attempt) {
      headers['hookstream-last-outcome'] = attempt.outcome;
      if (attempt.status_code !== null) headers['hookstream-last-status'] = String(attempt.status_code);
    }
    await this.#produce(
      this.#o.names.deadLetter,
      job.webhook_id,
      encodeJob({ ...job, first_attempt_at: firstAttemptAt }),
      headers,
    );
    metrics.deadLettered.inc({ reason });
    this.#log.warn({ ...ids(job), reason }, 'delivery dead-lettered');
    this.#record(job, firstAttemptAt, 'failed', null, reason, attempt);
  }

  /** Produces, retrying until Kafka acknowledges or the sender is stopping. */
  async #produce(topic: string, key: string, value: Buffer, headers: Record<string, string>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#o.producer.send(topic, { key, value, headers });
        return;
      } catch (err) {
        if (this.#stopping) throw err;
        this.#log.warn(
          { err, topic, retry_in_ms: Math.min(10_000, 500 * 2 ** attempt) },
          'producing to Kafka failed; retrying',
        );
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
      }
    }
  }

  #record(
    job: DeliveryJob,
    firstAttemptAt: number,
    status: DeliveryStatus,
    next: Date | null,
    reason: string | null,
    attempt: AttemptRecord | null,
  ): void {
    void firstAttemptAt;
    this.#o.recorder.record({
      delivery_id: job.delivery_id,
      webhook_id: job.webhook_id,
      environment: job.environment,
      event_id: job.event_id,
      event_type: job.event_type,
      event_created_at: new Date(job.created_at),
      body: job.body,
      status,
      attempts: attempt ? job.attempt : job.attempt - 1,
      next_attempt_at: next,
      failure_reason: reason,
      attempt,
      now: new Date(),
    });
  }

  #logFailure(job: DeliveryJob, result: AttemptResult): void {
    this.#log.info(
      {
        ...ids(job),
        outcome: result.outcome,
        status: result.statusCode,
        latency_ms: result.latencyMs,
        error: result.error,
      },
      'attempt failed',
    );
  }

  async #quarantineJob(message: KafkaMessage, partition: number, err: Error): Promise<void> {
    const code = isHookstreamError(err) ? err.code : 'INVALID_JOB';
    this.#log.error(
      { partition, offset: message.offset, code, error: err.message },
      'malformed job moved to the dead-letter topic',
    );
    await this.#produce(
      this.#o.names.deadLetter,
      message.key?.toString() ?? '',
      message.value ?? Buffer.alloc(0),
      {
        'hookstream-dead-letter-reason': 'invalid_job',
        'hookstream-error-message': err.message.slice(0, 1_000),
      },
    );
    metrics.deadLettered.inc({ reason: 'invalid_job' });
  }

  #pauseUntil(partition: number, dueAt: number): void {
    const topic = this.#o.topic;
    this.#clearPause(partition);
    this.#consumer?.pause([{ topic, partitions: [partition] }]);
    metrics.pausedPartitions.inc({ tier: this.#o.tier });
    const timer = setTimeout(
      () => {
        this.#resumeTimers.delete(partition);
        metrics.pausedPartitions.dec({ tier: this.#o.tier });
        if (!this.#stopping) this.#consumer?.resume([{ topic, partitions: [partition] }]);
      },
      Math.max(0, dueAt - Date.now()) + 1,
    );
    this.#resumeTimers.set(partition, timer);
  }

  #clearPause(partition: number): void {
    const t = this.#resumeTimers.get(partition);
    if (t) {
      clearTimeout(t);
      this.#resumeTimers.delete(partition);
      metrics.pausedPartitions.dec({ tier: this.#o.tier });
    }
  }

  #scheduleCommit(): void {
    this.#commitTimer = setTimeout(async () => {
      await this.#commit().catch((err: unknown) => this.#log.debug({ err }, 'commit failed; will retry'));
      if (!this.#stopping) this.#scheduleCommit();
    }, this.#o.commitIntervalMs ?? 1_000);
  }

  async #commit(): Promise<Record<number, number>> {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const marks: [PartitionProgress, number][] = [];
    for (const [partition, progress] of this.#progress) {
      const next = progress.committable();
      if (next === null) continue;
      offsets.push({ topic: this.#o.topic, partition, offset: String(next) });
      marks.push([progress, next]);
    }
    if (offsets.length === 0 || !this.#consumer) return {};
    await this.#consumer.commitOffsets(offsets);
    for (const [progress, next] of marks) progress.markCommitted(next);
    return Object.fromEntries(offsets.map((o) => [o.partition, Number(o.offset)]));
  }

  /** Stops fetching, lets in-flight attempts finish (their outcomes produced), commits, leaves the group. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    const inFlight = this.inFlight;
    this.#stopping = true;
    if (this.#commitTimer) clearTimeout(this.#commitTimer);
    for (const p of [...this.#resumeTimers.keys()]) this.#clearPause(p);
    this.#consumer?.pause([{ topic: this.#o.topic }]);
    await Promise.all([this.#window.idle(), this.#slow.idle()]);
    const committed = await this.#commit().catch((err: unknown) => {
      this.#log.warn({ err }, 'final commit failed; uncommitted jobs will be re-read by the next owner');
      return {};
    });
    await this.#consumer?.disconnect();
    this.#log.info(
      { in_flight_at_stop: inFlight, finished_during_shutdown: this.#attemptsDuringShutdown, committed },
      'sender stopped: in-flight attempts finished, outcomes produced, offsets committed',
    );
  }
}

function tryDecode(message: KafkaMessage): DeliveryJob | Error {
  try {
    return decodeJob(message.value ?? Buffer.alloc(0));
  } catch (err) {
    return err as Error;
  }
}

function ids(job: DeliveryJob) {
  return {
    event_id: job.event_id,
    delivery_id: job.delivery_id,
    webhook_id: job.webhook_id,
    attempt: job.attempt,
  };
}
