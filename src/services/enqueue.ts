/**
 * The `Enqueue` the API uses: a kafkajs producer sending encoded jobs to the deliveries topic,
 * keyed by webhook id (one webhook's jobs stay in one partition), acknowledged by all in-sync
 * replicas.
 */
import type { Message, Producer } from 'kafkajs';
import { HookstreamError } from '../core/errors.js';
import { encodeJob } from '../core/job.js';
import type { Enqueue } from './context.js';
import { withDeadline } from './deadline.js';

/** Largest total of message values per produce request, bytes (under the broker's 1 MB batch limit). */
const MAX_REQUEST_BYTES = 512 * 1024;

/**
 * Longest the caller waits for Kafka to acknowledge one produce request, milliseconds (5 s): the
 * API then answers 503 instead of hanging through kafkajs's reconnect schedule (minutes). A send
 * still in flight may yet land; the delivery is then attempted once more (at least once).
 */
export const ENQUEUE_TIMEOUT_MS = 5_000;

export function kafkaEnqueue(
  producer: Pick<Producer, 'send'>,
  topic: string,
  timeoutMs: number = ENQUEUE_TIMEOUT_MS,
): Enqueue {
  return async (jobs) => {
    let batch: Message[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await withDeadline(
        producer.send({ topic, acks: -1, messages: batch }),
        timeoutMs,
        () =>
          new HookstreamError('STORE_UNAVAILABLE', `Kafka did not acknowledge within ${timeoutMs / 1000} s`),
      );
      batch = [];
      bytes = 0;
    };
    for (const job of jobs) {
      const value = encodeJob(job);
      if (batch.length > 0 && bytes + value.length > MAX_REQUEST_BYTES) await flush();
      batch.push({ key: job.webhook_id, value });
      bytes += value.length;
    }
    await flush();
  };
}
