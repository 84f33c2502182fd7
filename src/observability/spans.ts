/**
 * The spans of a delivery, every one in the trace of its event:
 *
 *   hookstream.route          one per event (router); continues the record's `traceparent` header,
 *   │                         else starts the trace. Its context is what the event's jobs carry.
 *   ├─ hookstream.produce     the event's jobs to `deliveries`, until Kafka acknowledged them
 *   ├─ hookstream.attempt     one per POST (sender, any tier): tier, attempt, status, outcome
 *   ├─ hookstream.produce     a failed attempt's job to its next retry tier
 *   └─ hookstream.dead_letter the job to the dead-letter topic, with the reason
 *
 * Every helper returns null at once when tracing is off (`activeTracer()`), before building
 * anything. Attributes carry ids, tier, attempt number, status and outcome; never a URL, never a
 * secret.
 */
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Attempt, Decision } from '../core/attempt.js';
import type { DeliveryJob } from '../core/job.js';
import { activeTracer, parentFromTraceparent, traceparentOf } from './tracing.js';

/** One attempt's span, child of the job's context; `traceparent` may go on the POST. */
export interface AttemptSpan {
  readonly traceparent: string;
  end(attempt: Attempt, decision: Decision): void;
}

export function startAttemptSpan(job: DeliveryJob, tier: string): AttemptSpan | null {
  const tracer = activeTracer();
  if (tracer === null) return null;
  const span = tracer.startSpan(
    'hookstream.attempt',
    {
      kind: SpanKind.CLIENT,
      attributes: { ...jobAttributes(job), 'hookstream.tier': tier, 'http.request.method': 'POST' },
    },
    jobParent(job),
  );
  return {
    traceparent: traceparentOf(span.spanContext()),
    end: ({ result }, decision) => {
      span.setAttributes({
        'hookstream.outcome': result.outcome,
        'hookstream.decision': decision.kind,
        'hookstream.latency_ms': result.latencyMs,
        ...(result.statusCode === null ? {} : { 'http.response.status_code': result.statusCode }),
      });
      if (decision.kind === 'retry') span.setAttribute('hookstream.next_tier', decision.tier.name);
      if (result.outcome !== 'success')
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? result.outcome });
      span.end();
    },
  };
}

/**
 * A span of settling a job, child of the job's context: `hookstream.produce` to a retry tier
 * (`detail`: the tier) or `hookstream.dead_letter` (`detail`: the reason). Plain arguments, so a
 * caller builds nothing when tracing is off.
 */
export function startSettleSpan(
  name: 'hookstream.produce' | 'hookstream.dead_letter',
  job: DeliveryJob,
  topic: string,
  detail: string,
): Span | null {
  const tracer = activeTracer();
  if (tracer === null) return null;
  return tracer.startSpan(
    name,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        ...jobAttributes(job),
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        [name === 'hookstream.produce' ? 'hookstream.tier' : 'hookstream.dead_letter_reason']: detail,
      },
    },
    jobParent(job),
  );
}

/** The traced routing of one event: the route span, and the produce span once its jobs are known. */
export interface EventTrace {
  /** The route span's context: what the event's jobs carry. */
  readonly traceparent: string;
  /** The event was routed (`kind` of the route); `jobs` records went to `topic` (0 for none). */
  routed(kind: string, jobs: number, topic: string): void;
}

/**
 * The router's spans of one batch. They end when Kafka acknowledges their event's records:
 * `endThrough(ackedThrough)` as the acknowledged prefix grows.
 */
export class PendingSpans {
  readonly #tracer: Tracer;
  readonly #pending: { offset: bigint; span: Span }[] = [];

  private constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  /** A PendingSpans when tracing is on, else null (nothing is allocated per batch or event). */
  static forBatch(): PendingSpans | null {
    const tracer = activeTracer();
    return tracer === null ? null : new PendingSpans(tracer);
  }

  /**
   * `hookstream.route` of one event read at `where`: continues the record's `traceparent` header
   * when it has a valid one, else starts a trace.
   */
  startEvent(
    headers: Readonly<Record<string, unknown>> | undefined,
    event: { readonly event_id: string; readonly event_type: string; readonly environment: string },
    where: { readonly topic: string; readonly partition: number; readonly offset: string },
  ): EventTrace {
    const raw = headers?.traceparent;
    const header = Buffer.isBuffer(raw) ? raw.toString('latin1') : typeof raw === 'string' ? raw : undefined;
    const route = this.#tracer.startSpan(
      'hookstream.route',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': where.topic,
          'messaging.destination.partition.id': String(where.partition),
          'messaging.kafka.offset': Number(where.offset),
          'hookstream.event_id': event.event_id,
          'hookstream.event_type': event.event_type,
          'hookstream.environment': event.environment,
        },
      },
      parentFromTraceparent(header) ?? ROOT_CONTEXT,
    );
    this.add(where.offset, route);
    return {
      traceparent: traceparentOf(route.spanContext()),
      routed: (kind, jobs, topic) => {
        route.setAttributes({ 'hookstream.route': kind, 'hookstream.jobs': jobs });
        if (jobs === 0) return;
        const produce = this.#tracer.startSpan(
          'hookstream.produce',
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.destination.name': topic,
              'messaging.batch.message_count': jobs,
            },
          },
          trace.setSpan(ROOT_CONTEXT, route),
        );
        this.add(where.offset, produce);
      },
    };
  }

  add(offset: string, span: Span): void {
    this.#pending.push({ offset: BigInt(offset), span });
  }

  endThrough(acked: string | null): void {
    if (acked === null) return;
    const through = BigInt(acked);
    let n = 0;
    while (n < this.#pending.length && this.#pending[n]!.offset <= through) n++;
    // Children first, so each span ends after (or with) what it contains.
    for (const { span } of this.#pending.splice(0, n).reverse()) span.end();
  }

  /** The batch stopped (Kafka failed): what was not acknowledged ends as an error. */
  failRest(message: string): void {
    for (const { span } of this.#pending.splice(0).reverse()) {
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.end();
    }
  }
}

function jobAttributes(job: DeliveryJob): Attributes {
  return {
    'hookstream.delivery_id': job.delivery_id,
    'hookstream.event_id': job.event_id,
    'hookstream.webhook_id': job.webhook_id,
    'hookstream.attempt': job.attempt,
  };
}

/** The job's context as a remote parent; a job without one (a replay) starts a trace. */
function jobParent(job: DeliveryJob): Context {
  return parentFromTraceparent(job.traceparent) ?? ROOT_CONTEXT;
}
