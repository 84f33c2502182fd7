/**
 * Event → delivery jobs, the router's decision, pure: which webhooks get the event, and whether its
 * job can be carried by Kafka at all.
 *
 * A job carries the event's canonical body as a JSON string, so the job is the body plus escaping
 * (`"` and `\` double; everything else in a compact JSON body stays as it is) plus fixed fields
 * (ids, type, timestamps: at most ~700 bytes). The worst case is therefore 2 × body + 700 bytes.
 * Every job of one event is the same size except for the webhook id, so checking the job of the
 * longest matching id checks them all: an event is either routed whole or refused whole.
 */
import { type Envelope, serializeEnvelope } from './envelope.js';
import { HookstreamError } from './errors.js';
import { applyFilters, type FilterPredicate } from './filter.js';
import { encodeJob, firstJob } from './job.js';
import { matchEnvelope, type WebhookIndex } from './matching.js';

/** Bytes of a job other than its body, upper bound: ids (≤ 200 + 30 + 63), type, timestamps, keys. */
export const JOB_FIXED_BYTES_MAX = 1_024;

export interface RouteLimits {
  /** Largest encoded job that may be produced, bytes (`maxJobBytes` of the Kafka tunables). */
  readonly maxJobBytes: number;
}

export interface RoutedJob {
  /** The record key: the webhook id (one webhook's jobs stay in one partition, in order). */
  readonly webhookId: string;
  /** The encoded job (`encodeJob`). */
  readonly value: Buffer;
}

export type Route =
  /** No enabled webhook wants the event (`filtered`: how many matched but their filter refused it). */
  | { readonly kind: 'unmatched'; readonly filtered: number }
  /** One job per webhook, encoded lazily so a large fan-out is never held whole. */
  | {
      readonly kind: 'jobs';
      readonly webhookIds: readonly string[];
      /** Webhooks that subscribe to the event but whose payload filter refused it. */
      readonly filtered: number;
      jobs(): Generator<RoutedJob>;
    }
  /** The job would not fit in a Kafka record: the event goes to events.invalid (`JOB_TOO_LARGE`). */
  | { readonly kind: 'too_large'; readonly error: HookstreamError };

const NO_FILTERS: ReadonlyMap<string, FilterPredicate> = new Map();

/**
 * Routes one validated event: its matching webhooks whose payload filter (if any, from
 * `compileFilterTable`) lets it through, and their first-attempt jobs, due at `nowMs`.
 * `traceparent`: set on every job when tracing is on (it counts in the size check).
 */
export interface RouteOptions {
  /** Compiled payload filters by webhook id (`compileFilterTable`); absent: none. */
  readonly filters?: ReadonlyMap<string, FilterPredicate>;
  /** W3C trace context put on every job (tracing on). */
  readonly traceparent?: string | undefined;
}

export function routeEvent(
  envelope: Envelope,
  index: WebhookIndex,
  nowMs: number,
  limits: RouteLimits,
  opts: RouteOptions = {},
): Route {
  const { filters = NO_FILTERS, traceparent } = opts;
  const matched = matchEnvelope(index, envelope);
  const webhookIds = applyFilters(matched, filters, envelope);
  const filtered = matched.length - webhookIds.length;
  if (webhookIds.length === 0) return { kind: 'unmatched', filtered };
  const body = serializeEnvelope(envelope);
  let longest = webhookIds[0]!;
  for (const id of webhookIds) if (id.length > longest.length) longest = id;
  const job = (id: string) =>
    encodeJob(firstJob(envelope, id, nowMs, { body, filterApplied: filters.has(id), traceparent }));
  const largest = job(longest);
  if (largest.length > limits.maxJobBytes) {
    const bodyBytes = Buffer.byteLength(body, 'utf8');
    return {
      kind: 'too_large',
      error: new HookstreamError(
        'JOB_TOO_LARGE',
        `the delivery job of this event would be ${largest.length} bytes (body ${bodyBytes} bytes, escaped), more than the ${limits.maxJobBytes} a Kafka record may carry`,
        { details: { reason: 'job_too_large', size: largest.length, limit: limits.maxJobBytes } },
      ),
    };
  }
  return {
    kind: 'jobs',
    webhookIds,
    filtered,
    *jobs() {
      for (const webhookId of webhookIds) {
        const value = webhookId === longest ? largest : job(webhookId);
        yield { webhookId, value };
      }
    },
  };
}

/**
 * The largest canonical body that always fits, whatever its characters, bytes: half of what is left
 * of a job once its fixed fields are taken. Bodies above it fit unless they escape heavily.
 */
export function guaranteedBodyBytes(limits: RouteLimits): number {
  return Math.floor((limits.maxJobBytes - JOB_FIXED_BYTES_MAX) / 2);
}
