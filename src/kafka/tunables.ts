/**
 * The one table of Kafka tunables, with units, shared by the router, the senders, the API's
 * producer and the lag collector. Only `sessionTimeoutMs` comes from configuration
 * (`HOOKSTREAM_KAFKA_SESSION_TIMEOUT`); the rest are fixed here, each with the reason.
 */
import type { ConsumerConfig } from 'kafkajs';

export interface KafkaTunables {
  /**
   * Group session timeout: a member silent this long is dropped and its partitions move,
   * milliseconds. kafkajs has no static membership, so this is the recovery time after kill -9.
   * @default 10_000
   */
  readonly sessionTimeoutMs: number;
  /** Heartbeat interval, milliseconds: a third of the session timeout. */
  readonly heartbeatIntervalMs: number;
  /**
   * Longest a fetch waits on the broker for data, milliseconds; bounds how late a resumed
   * (previously paused) partition is read. @default 200
   */
  readonly maxWaitTimeMs: number;
  /** Partitions of one consumer handled at once (its batches run concurrently). @default 64 */
  readonly partitionsConsumedConcurrently: number;
  /** Bytes fetched per partition per request. @default 1_048_576 (1 MiB, kafkajs' default) */
  readonly maxBytesPerPartition: number;
  /** Bytes fetched per request over all partitions. @default 10_485_760 (10 MiB) */
  readonly maxBytes: number;
  /** How often finished offsets are committed, milliseconds. @default 1_000 */
  readonly commitIntervalMs: number;
  /**
   * Largest sum of message bytes in one produce request, bytes: under the broker's
   * `message.max.bytes` (1 MiB default) with room for the batch overhead. @default 786_432 (768 KiB)
   */
  readonly maxProduceRequestBytes: number;
  /**
   * `max.message.bytes` that `topics create` sets on every hookstream topic, bytes: the largest
   * record batch the broker accepts there. The router refuses (`job_too_large`) any job whose
   * record would not fit, leaving `jobHeadroomBytes`. @default 1_048_576 (1 MiB)
   */
  readonly maxMessageBytes: number;
  /**
   * Room kept below `maxMessageBytes` for what a job gains after the router: record-batch framing
   * (~70 B), key, the sender's dead-letter headers, `attempt`/`first_attempt_at`/`replay` growing
   * on retries and replays, bytes. @default 4_096
   */
  readonly jobHeadroomBytes: number;
  /** How long a produced message waits for company before its batch is sent, milliseconds. @default 2 */
  readonly lingerMs: number;
  /** Messages per produce batch at most. @default 500 */
  readonly maxProduceBatch: number;
  /** Connection timeout to a broker, milliseconds. @default 3_000 */
  readonly connectionTimeoutMs: number;
  /** Request timeout, milliseconds. @default 30_000 */
  readonly requestTimeoutMs: number;
}

export function kafkaTunables(opts: { readonly sessionTimeoutMs?: number } = {}): KafkaTunables {
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
  return Object.freeze({
    sessionTimeoutMs,
    heartbeatIntervalMs: Math.max(1_000, Math.floor(sessionTimeoutMs / 3)),
    maxWaitTimeMs: 200,
    partitionsConsumedConcurrently: 64,
    maxBytesPerPartition: 1_048_576,
    maxBytes: 10_485_760,
    commitIntervalMs: 1_000,
    maxProduceRequestBytes: 786_432,
    maxMessageBytes: 1_048_576,
    jobHeadroomBytes: 4_096,
    lingerMs: 2,
    maxProduceBatch: 500,
    connectionTimeoutMs: 3_000,
    requestTimeoutMs: 30_000,
  });
}

/** Largest encoded job the router produces, bytes: `maxMessageBytes − jobHeadroomBytes`. */
export function maxJobBytes(t: KafkaTunables, topicMaxMessageBytes: number = t.maxMessageBytes): number {
  return Math.min(t.maxMessageBytes, topicMaxMessageBytes) - t.jobHeadroomBytes;
}

/** kafkajs consumer settings for a group, from the table. Offsets are always committed by hookstream. */
export function consumerConfig(groupId: string, t: KafkaTunables): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: t.sessionTimeoutMs,
    // The rebalance timeout bounds how long a rebalance waits for members to rejoin.
    rebalanceTimeout: Math.max(t.sessionTimeoutMs, 30_000),
    heartbeatInterval: t.heartbeatIntervalMs,
    maxWaitTimeInMs: t.maxWaitTimeMs,
    maxBytesPerPartition: t.maxBytesPerPartition,
    maxBytes: t.maxBytes,
    allowAutoTopicCreation: false,
  };
}
