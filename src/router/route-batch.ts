/**
 * One partition's batch of domain events → delivery jobs and quarantined events, produced in
 * chunks as it goes (`JobSink`), then the dedupe marks of what was routed; the returned offset is
 * the acknowledged prefix, which the routing consumer commits.
 *
 * Order per batch: decode every record (up to the first one that cannot be decoded *now*); one
 * dedupe lookup; route each event in offset order; flush; mark routed events seen; return.
 */
import type { KafkaMessage, Producer } from 'kafkajs';
import type { Envelope } from '../core/envelope.js';
import { type HookstreamError, isHookstreamError } from '../core/errors.js';
import { type RouteLimits, routeEvent } from '../core/route.js';
import type { BatchOutcome, RoutingBatch } from '../kafka/routing-consumer.js';
import { type EventDedupe, seenId } from '../mongo/dedupe.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import { PendingSpans } from '../observability/spans.js';
import type { EventDecoder } from './decode.js';
import { DedupeGuard } from './dedupe-guard.js';
import { JobSink } from './job-sink.js';
import type { LiveWebhookIndex } from './live-index.js';
import { asHookstreamError, type QuarantineContext, quarantineRecord } from './quarantine.js';

export interface BatchRouterOptions {
  readonly producer: Producer;
  readonly logger: Logger;
  readonly decoder: EventDecoder;
  readonly webhooks: LiveWebhookIndex;
  /** null: deduplication off (`HOOKSTREAM_DEDUPE_WINDOW=0`). */
  readonly dedupe: EventDedupe | null;
  readonly deliveriesTopic: string;
  readonly invalidTopic: string;
  /** Largest job, and largest quarantined record value, bytes. */
  readonly limits: RouteLimits;
  /** Produce chunk size, bytes (`maxProduceRequestBytes`). */
  readonly budgetBytes: number;
  /** Pause before re-reading a partition after a retriable failure, milliseconds. */
  readonly retryDelayMs: number;
  /**
   * Longest wait for one dedupe lookup or write, milliseconds: past it the batch goes on without
   * (duplicates possible, never a loss), so a slow store never outlasts the group session.
   */
  readonly dedupeTimeoutMs: number;
  readonly now: () => number;
}

type Decoded =
  | { readonly message: KafkaMessage; readonly envelope: Envelope }
  | { readonly message: KafkaMessage; readonly error: HookstreamError };

export class BatchRouter {
  readonly #opts: BatchRouterOptions;
  readonly #log: Logger;
  /** null: deduplication off. */
  readonly #dedupe: DedupeGuard | null;

  constructor(opts: BatchRouterOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#dedupe = opts.dedupe && new DedupeGuard(opts.dedupe, opts.dedupeTimeoutMs, opts.logger);
  }

  async handle(batch: RoutingBatch): Promise<BatchOutcome> {
    const { topic, partition } = batch;
    const nowMs = this.#opts.now();
    const { decoded, retryable } = await this.#decodeAll(batch);
    const seen = (await this.#dedupe?.seen(idsOf(decoded), nowMs)) ?? new Set<string>();
    const qctx: QuarantineContext = {
      topic,
      partition,
      logger: this.#log,
      maxValueBytes: this.#opts.limits.maxJobBytes,
    };
    const byOffset = new Map(decoded.map((d) => [d.message.offset, d]));
    const sink = new JobSink({
      producer: this.#opts.producer,
      budgetBytes: this.#opts.budgetBytes,
      heartbeat: batch.heartbeat,
      quarantine: (offset, error, withValue) => {
        const d = byOffset.get(offset)!;
        const eventId = 'envelope' in d ? d.envelope.event_id : undefined;
        return {
          topic: this.#opts.invalidTopic,
          message: quarantineRecord(error, d.message, qctx, { ...(eventId ? { eventId } : {}), withValue }),
        };
      },
      onUnquarantinable: (offset, kafkaError) => {
        const d = byOffset.get(offset)!;
        this.#log.error(
          {
            ...('envelope' in d ? { event_id: d.envelope.event_id } : {}),
            topic,
            partition,
            offset,
            kafka_error: kafkaError,
          },
          'events.invalid refused even the quarantine record without the event; the event stays only in its source topic',
        );
      },
      onAcked: (t, n) => {
        if (t === this.#opts.deliveriesTopic) metrics.eventsMatched.inc(n);
      },
    });
    /** Events routed in this batch, in offset order: marked seen once acknowledged. */
    const routed: { offset: bigint; id: string }[] = [];
    const inBatch = new Set<string>();
    /** Route and produce spans, ended as Kafka acknowledges; null when tracing is off. */
    const spans = PendingSpans.forBatch();
    let retry = retryable;
    try {
      for (const d of decoded) {
        if (!batch.isActive()) break;
        const offset = d.message.offset;
        if ('error' in d) {
          await sink.add(offset, this.#opts.invalidTopic, quarantineRecord(d.error, d.message, qctx));
        } else {
          const id = seenId(d.envelope.environment, d.envelope.event_id);
          if (this.#dedupe !== null && (seen.has(id) || inBatch.has(id))) {
            metrics.eventsDuplicate.inc();
            this.#log.debug(
              {
                event_id: d.envelope.event_id,
                environment: d.envelope.environment,
                topic,
                partition,
                offset,
              },
              'duplicate event skipped: already routed within the dedupe window',
            );
          } else if (await this.#route(sink, d.message, d.envelope, nowMs, qctx, spans)) {
            inBatch.add(id);
            routed.push({ offset: BigInt(offset), id });
          }
        }
        sink.eventDone(offset);
        spans?.endThrough(sink.ackedThrough);
      }
      await sink.flush();
      spans?.endThrough(sink.ackedThrough);
    } catch (err) {
      spans?.failRest('producing delivery jobs failed');
      // Kafka cannot take anything now (broker down): keep the acknowledged prefix, retry the rest.
      this.#log.warn(
        { err, topic, partition, from_offset: nextOffset(sink.ackedThrough, decoded[0]?.message.offset) },
        'producing delivery jobs failed; will retry from the first event not acknowledged',
      );
      retry = true;
    }
    const last = sink.ackedThrough;
    if (last !== null) {
      const done = routed.filter((r) => r.offset <= BigInt(last) && !sink.refused(String(r.offset)));
      await this.#dedupe?.mark(
        done.map((r) => r.id),
        nowMs,
      );
    }
    return retry ? { last, retryAfterMs: this.#opts.retryDelayMs } : { last };
  }

  /** Decodes the batch up to the first record that cannot be decoded right now (registry down). */
  async #decodeAll(batch: RoutingBatch): Promise<{ decoded: Decoded[]; retryable: boolean }> {
    const decoded: Decoded[] = [];
    for (const message of batch.messages) {
      if (!batch.isActive()) break;
      try {
        const envelope = await this.#opts.decoder.decode(message.value, Number(message.timestamp));
        decoded.push({ message, envelope });
      } catch (err) {
        if (isHookstreamError(err) && err.retriable) {
          this.#log.warn(
            { err, topic: batch.topic, partition: batch.partition, offset: message.offset },
            'cannot decode event right now; will retry from this record',
          );
          return { decoded, retryable: true };
        }
        decoded.push({ message, error: asHookstreamError(err) });
      }
    }
    return { decoded, retryable: false };
  }

  /** Produces the event's jobs (or its quarantine record); true when it was routed (jobs or none). */
  async #route(
    sink: JobSink,
    message: KafkaMessage,
    envelope: Envelope,
    nowMs: number,
    qctx: QuarantineContext,
    spans: PendingSpans | null,
  ): Promise<boolean> {
    metrics.eventsRouted.inc();
    const offset = message.offset;
    const traced = spans?.startEvent(message.headers, envelope, {
      topic: qctx.topic,
      partition: qctx.partition,
      offset,
    });
    const { index, filters } = this.#opts.webhooks;
    const route = routeEvent(envelope, index, nowMs, this.#opts.limits, {
      filters,
      traceparent: traced?.traceparent,
    });
    if (route.kind !== 'too_large' && route.filtered > 0) metrics.routerFiltered.inc(route.filtered);
    traced?.routed(
      route.kind,
      route.kind === 'jobs' ? route.webhookIds.length : 0,
      this.#opts.deliveriesTopic,
    );
    switch (route.kind) {
      case 'unmatched':
        metrics.eventsUnmatched.inc();
        return true;
      case 'too_large':
        await sink.add(
          offset,
          this.#opts.invalidTopic,
          quarantineRecord(route.error, message, qctx, { eventId: envelope.event_id }),
        );
        return false;
      case 'jobs': {
        const timestamp = String(nowMs);
        for (const job of route.jobs()) {
          await sink.add(offset, this.#opts.deliveriesTopic, {
            key: job.webhookId,
            value: job.value,
            timestamp,
          });
        }
        return true;
      }
    }
  }
}

function idsOf(decoded: readonly Decoded[]): string[] {
  const ids: string[] = [];
  for (const d of decoded) if ('envelope' in d) ids.push(seenId(d.envelope.environment, d.envelope.event_id));
  return ids;
}

function nextOffset(acked: string | null, first: string | undefined): string | undefined {
  return acked === null ? first : String(BigInt(acked) + 1n);
}
