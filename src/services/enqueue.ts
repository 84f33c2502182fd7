/**
 * The `Enqueue` the API uses: a kafkajs producer sending encoded jobs to the deliveries topic,
 * keyed by webhook id (one webhook's jobs stay in one partition), acknowledged by all in-sync
 * replicas.
 */
import type { Message, Producer } from 'kafkajs';
import { encodeJob } from '../core/job.js';
import type { Enqueue } from './context.js';

/** Largest total of message values per produce request, bytes (under the broker's 1 MB batch limit). */
const MAX_REQUEST_BYTES = 512 * 1024;

export function kafkaEnqueue(producer: Producer, topic: string): Enqueue {
  return async (jobs) => {
    let batch: Message[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await producer.send({ topic, acks: -1, messages: batch });
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
