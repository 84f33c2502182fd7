/**
 * Which produce failures mean "Kafka refuses these records for good" (retrying the same bytes
 * cannot help) as opposed to "Kafka cannot take anything right now" (broker down, leader moving):
 * the first is a property of the records and is quarantined; the second is retried.
 *
 * kafkajs wraps the broker's error when its own retries give up (`KafkaJSNumberOfRetriesExceeded`,
 * `KafkaJSNonRetriableError`), so the chain of causes is searched for the broker's error type.
 */

/** Broker error types that refuse the records themselves. */
const RECORD_REFUSALS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'CORRUPT_MESSAGE',
]);

/** How deep to follow `cause` links (kafkajs nests at most two). */
const MAX_CAUSE_DEPTH = 5;

/** The broker's error type (e.g. `MESSAGE_TOO_LARGE`) when Kafka refused the records for good; else null. */
export function recordRefusal(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof e === 'object' && e !== null; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && RECORD_REFUSALS.has(type)) return type;
    const next = (e as { cause?: unknown }).cause;
    if (next === e) break;
    e = next;
  }
  return null;
}
