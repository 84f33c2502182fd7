/**
 * A consumer of a topic whose messages carry a due time that rises with the offset inside a
 * partition (one delay per topic). It never hands a job over before it is due: it pauses the
 * partition until its head is due and resumes it then — the handler never sleeps, and the due
 * check runs in the handler, because pause state does not move with a partition. Due jobs run
 * concurrently within a window of slots and a byte budget shared per process. Offsets are
 * committed in order, up to the lowest job whose handling has not finished.
 *
 * The watermark cannot freeze: every dispatched offset finishes. `handle` resolves once the job's
 * fate is safely stored; if it rejects while the consumer runs, the job is handled again after a
 * backoff (at least once), and only a stop leaves it unfinished, for the next owner to re-read.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { backoffMs, REDO_BACKOFF } from '../core/backoff.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import { type Budget, InFlight, type InFlightOptions } from './in-flight.js';
import { PauseTimers } from './pauses.js';
import { consumerConfig, type KafkaTunables } from './tunables.js';
import { abortableSleep } from './until-acked.js';
import { type PartitionWatermark, Watermarks } from './watermark.js';

/** What a handler gets with each job. */
export interface HandleContext {
  /** Aborted when the consumer stops for good (after its drain time). */
  readonly signal: AbortSignal;
  /** Call when the attempt itself is over: its window slot goes to the next job. */
  attempted(): void;
  readonly partition: number;
  readonly offset: string;
}

export interface DueHandler<J> {
  /** The job in `message`; throws when it cannot be decoded (then `reject` sets it aside). */
  decode(message: KafkaMessage): J;
  /** Not to be handled before this, epoch milliseconds. */
  dueAtMs(job: J): number;
  /** Called with the due jobs of one fetched batch before they are handled (e.g. one query). */
  prepare?(jobs: readonly J[], nowMs: number): Promise<void>;
  /** Milliseconds to hold a due job back (its webhook cannot be read yet, say); 0: go. */
  holdMs?(job: J): number;
  /** Resolves once the job's fate is safely stored; the offset may then commit. */
  handle(job: J, ctx: HandleContext): Promise<void>;
  /** These partitions moved to another member (their pending jobs are re-read there). */
  revoked?(partitions: readonly number[]): void;
  /** A message that does not decode: resolves once it is safely set aside. */
  reject(message: KafkaMessage, err: Error, partition: number, signal: AbortSignal): Promise<void>;
}

export interface DueConsumerOptions<J> extends InFlightOptions {
  readonly kafka: Kafka;
  readonly tunables: KafkaTunables;
  readonly logger: Logger;
  readonly topic: string;
  readonly groupId: string;
  /** Metric and log label (`deliveries`, a tier name). */
  readonly label: string;
  /** Bytes of jobs in flight, shared by every consumer of the process. */
  readonly bytes: Budget;
  readonly handler: DueHandler<J>;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Aborting it stops the consumer (as `close()`). */
  readonly signal?: AbortSignal;
  /** How long `close()` lets running jobs finish before aborting them, milliseconds. @default 15_000 */
  readonly drainMs?: number;
}

/** What `close()` did. */
export interface StopSummary {
  readonly inFlightAtStop: number;
  /** Every running job settled within the drain time (else the rest were aborted, uncommitted). */
  readonly drained: boolean;
  /** Partition → the offset committed at stop. */
  readonly committed: Record<number, number>;
}

/**
 * Heap a job in flight holds beyond its message bytes, bytes: the decoded job, its record update,
 * promises and timers (estimated from the sender's RSS per in-flight job of ~1 KB bodies).
 */
const JOB_OVERHEAD_BYTES = 4_096;

export class DueConsumer<J> {
  readonly #o: DueConsumerOptions<J>;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #inFlight: InFlight;
  readonly #marks: Watermarks;
  readonly #pauses: PauseTimers;
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #consumer: Consumer | null = null;
  #commitTimer: NodeJS.Timeout | null = null;
  #joined = false;
  #stopping = false;
  #closed: Promise<StopSummary> | null = null;

  constructor(opts: DueConsumerOptions<J>) {
    this.#o = opts;
    this.#log = opts.logger.child({ consumer: opts.label, topic: opts.topic });
    this.#clock = opts.clock ?? Date.now;
    this.#inFlight = new InFlight(opts.bytes, opts);
    this.#marks = new Watermarks(opts.topic);
    this.#pauses = new PauseTimers(opts.topic, opts.label, () => this.#consumer, this.#clock);
    opts.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  get ready(): boolean {
    return this.#joined && !this.#stopping;
  }

  /** Jobs dispatched and not finished. */
  get inFlight(): number {
    return this.#running.size;
  }

  async start(): Promise<void> {
    const { kafka, tunables, topic, groupId } = this.#o;
    const consumer = kafka.consumer(consumerConfig(groupId, tunables));
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.#onAssignment(consumer, e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      this.#joined = false;
      this.#log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: tunables.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.#onBatch(payload),
    });
    this.#consumer = consumer;
    this.#scheduleCommit();
    this.#log.info({ group: groupId, window: this.#o.window }, 'due consumer started');
  }

  #onAssignment(consumer: Consumer, assignment: Record<string, number[]>): void {
    this.#joined = true;
    const topic = this.#o.topic;
    const mine = new Set(assignment[topic] ?? []);
    const lost: number[] = [];
    for (const p of this.#marks.partitions()) {
      if (mine.has(p)) continue;
      // Another member owns it now and re-reads it from the committed offset.
      this.#marks.drop(p);
      this.#pauses.clear(p);
      lost.push(p);
    }
    if (lost.length > 0) this.#o.handler.revoked?.(lost);
    // Pause state is client-side and survives a rebalance: a partition paused here, moved away and
    // given back would stay paused with no timer to resume it. Resume every paused partition
    // without a timer; the handler pauses it again if its head is not due.
    if (!this.#stopping) {
      const orphaned = this.#pauses.orphaned(consumer);
      if (orphaned.length > 0) consumer.resume([{ topic, partitions: orphaned }]);
    }
    this.#log.info({ partitions: [...mine].sort((a, b) => a - b) }, 'joined the consumer group');
  }

  async #onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { handler } = this.#o;
    const partition = batch.partition;
    const mark = this.#marks.of(partition);
    const entries = batch.messages.map((message) => ({ message, job: decodeOrError(handler, message) }));
    const now = this.#clock();
    const due = entries.flatMap((e) =>
      e.job instanceof Error || handler.dueAtMs(e.job) > now ? [] : [e.job],
    );
    if (due.length > 0) await handler.prepare?.(due, now);

    for (const { message, job } of entries) {
      if (this.#stopping || !isRunning() || isStale()) break;
      const offset = Number(message.offset);
      if (mark.seen(offset)) {
        resolveOffset(message.offset);
        continue;
      }
      if (job instanceof Error) {
        mark.dispatched(offset);
        resolveOffset(message.offset);
        await handler.reject(message, job, partition, this.#abort.signal);
        mark.finished(offset);
        continue;
      }
      const dueAt = handler.dueAtMs(job);
      const nowMs = this.#clock();
      if (dueAt > nowMs) {
        this.#pauses.pauseUntil(partition, dueAt);
        break;
      }
      const holdMs = handler.holdMs?.(job) ?? 0;
      if (holdMs > 0) {
        this.#pauses.pauseUntil(partition, nowMs + holdMs);
        break;
      }
      const bytes = (message.value?.length ?? 0) + JOB_OVERHEAD_BYTES;
      let ticket: Awaited<ReturnType<InFlight['admit']>>;
      try {
        ticket = await this.#inFlight.admit(bytes, { whileWaiting: heartbeat, signal: this.#abort.signal });
      } catch {
        break; // stopping
      }
      if (this.#stopping || isStale()) {
        ticket.done();
        break;
      }
      mark.dispatched(offset);
      resolveOffset(message.offset);
      metrics.lateness.observe({ tier: this.#o.label }, Math.max(0, nowMs - dueAt) / 1000);
      this.#track(this.#run(job, mark, partition, message.offset, ticket));
    }
  }

  #track(p: Promise<void>): void {
    this.#running.add(p);
    metrics.inFlight.inc({ tier: this.#o.label });
    void p.finally(() => {
      this.#running.delete(p);
      metrics.inFlight.dec({ tier: this.#o.label });
    });
  }

  /** Handles one job until its fate is stored (the offset finishes) or the consumer stops. */
  async #run(
    job: J,
    mark: PartitionWatermark,
    partition: number,
    offset: string,
    ticket: { attempted(): void; done(): void },
  ): Promise<void> {
    const ctx: HandleContext = { signal: this.#abort.signal, attempted: ticket.attempted, partition, offset };
    try {
      for (let redo = 0; ; redo++) {
        try {
          await this.#o.handler.handle(job, ctx);
          mark.finished(Number(offset));
          return;
        } catch (err) {
          if (this.#abort.signal.aborted) {
            this.#log.warn(
              { err, partition, offset },
              'stopped before the job was settled; the next owner re-reads it',
            );
            return;
          }
          const waitMs = backoffMs(REDO_BACKOFF, redo, Math.random);
          this.#log.error(
            { err, partition, offset, retry_in_ms: waitMs },
            'handling a job failed; handling it again',
          );
          await abortableSleep(waitMs, this.#abort.signal);
        }
      }
    } finally {
      ticket.done();
    }
  }

  #scheduleCommit(): void {
    this.#commitTimer = setTimeout(async () => {
      await this.#commit().catch((err: unknown) => this.#log.debug({ err }, 'commit failed; will retry'));
      if (!this.#stopping) this.#scheduleCommit();
    }, this.#o.tunables.commitIntervalMs);
  }

  /** Commits every partition's watermark that moved; returns what was committed. */
  #commit(): Promise<Record<number, number>> {
    const consumer = this.#consumer;
    if (!consumer) return Promise.resolve({});
    return this.#marks.commit((offsets) => consumer.commitOffsets(offsets));
  }

  /**
   * Stops fetching, lets running jobs settle (for up to `drainMs`, then aborts them), commits,
   * leaves the group. Idempotent.
   */
  close(): Promise<StopSummary> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<StopSummary> {
    const atStop = this.#running.size;
    this.#stopping = true;
    if (this.#commitTimer) clearTimeout(this.#commitTimer);
    this.#pauses.stop();
    this.#consumer?.pause([{ topic: this.#o.topic }]);
    const drained = await Promise.race([
      Promise.allSettled([...this.#running]).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), this.#o.drainMs ?? 15_000).unref()),
    ]);
    this.#abort.abort(new Error('due consumer stopped'));
    await Promise.allSettled([...this.#running]);
    const committed = await this.#commit().catch((err: unknown) => {
      this.#log.warn({ err }, 'final commit failed; uncommitted jobs will be re-read by the next owner');
      return {};
    });
    await this.#consumer?.disconnect();
    this.#log.debug({ in_flight_at_stop: atStop, drained, committed }, 'due consumer stopped');
    return { inFlightAtStop: atStop, drained, committed };
  }
}

function decodeOrError<J>(handler: DueHandler<J>, message: KafkaMessage): J | Error {
  try {
    return handler.decode(message);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
