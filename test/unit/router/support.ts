/** Fakes for the router's unit tests: a producer that records or refuses, a batch, events. */

import type { KafkaMessage, Message, Producer, ProducerBatch } from 'kafkajs';
import type { Envelope } from '../../../src/core/envelope.js';
import { compileFilterTable } from '../../../src/core/filter.js';
import { WebhookIndex } from '../../../src/core/matching.js';
import type { RoutingBatch } from '../../../src/kafka/routing-consumer.js';
import type { EventDedupe } from '../../../src/mongo/dedupe.js';
import { createEventDecoder } from '../../../src/router/decode.js';
import type { LiveWebhookIndex } from '../../../src/router/live-index.js';
import { BatchRouter } from '../../../src/router/route-batch.js';
import { testLogger } from '../../support/helpers.js';

export interface Sent {
  readonly topic: string;
  readonly messages: Message[];
}

/** A broker double: `fail` decides per request (return an error to refuse it). */
export function fakeProducer(fail: (sent: Sent[]) => Error | null = () => null) {
  const acked: Sent[] = [];
  const requests: Sent[][] = [];
  const producer = {
    async sendBatch(batch: ProducerBatch) {
      const sent = (batch.topicMessages ?? []).map((t) => ({ topic: t.topic, messages: t.messages }));
      requests.push(sent);
      const err = fail(sent);
      if (err) throw err;
      acked.push(...sent);
      return [];
    },
  } as unknown as Producer;
  return {
    producer,
    requests,
    acked,
    /** Every acknowledged message of `topic`. */
    on: (topic: string) => acked.filter((s) => s.topic === topic).flatMap((s) => s.messages),
  };
}

/** What kafkajs throws when the broker refuses a record (wrapped once, as its retrier does). */
export function brokerError(type: string, retriable = false): Error {
  const inner = Object.assign(new Error(`broker says ${type}`), {
    type,
    retriable,
    name: 'KafkaJSProtocolError',
  });
  return Object.assign(new Error(inner.message, { cause: inner }), { name: 'KafkaJSNonRetriableError' });
}

export function connectionError(): Error {
  return Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    retriable: false,
    cause: Object.assign(new Error('connect ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      retriable: true,
    }),
  });
}

export function envelope(over: Partial<Envelope> = {}): Envelope {
  return {
    event_id: 'evt_1',
    event_type: 'vendor.created',
    environment: 'prod',
    created_at: '2026-01-01T00:00:00.000Z',
    data: { vendor_id: 'v_1' },
    ...over,
  };
}

export function liveIndex(
  webhooks: { id: string; environment?: string; event_types?: string[]; filter?: string }[],
) {
  const index = new WebhookIndex(
    webhooks.map((w) => ({
      id: w.id,
      environment: w.environment ?? 'prod',
      event_types: w.event_types ?? ['*'],
      enabled: true,
    })),
  );
  const { filters } = compileFilterTable(webhooks);
  return { index, filters, loaded: true, close() {} } as unknown as LiveWebhookIndex;
}

export function kafkaMessage(offset: number, value: object | Buffer | null): KafkaMessage {
  return {
    key: null,
    value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value)),
    timestamp: '1767225600000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  } as KafkaMessage;
}

export function batchOf(messages: KafkaMessage[], opts: { active?: () => boolean } = {}) {
  let heartbeats = 0;
  const batch: RoutingBatch = {
    topic: 'events',
    partition: 0,
    messages,
    heartbeat: async () => {
      heartbeats++;
    },
    isActive: opts.active ?? (() => true),
  };
  return { batch, heartbeats: () => heartbeats };
}

/** A BatchRouter over a fake producer, matching every event to `webhooks`, at a fixed clock. */
export function testRouter(
  f: ReturnType<typeof fakeProducer>,
  dedupe: EventDedupe | null,
  webhooks: readonly string[] = ['wh_a', 'wh_b'],
): BatchRouter {
  return new BatchRouter({
    producer: f.producer,
    logger: testLogger,
    decoder: createEventDecoder(null),
    webhooks: liveIndex(webhooks.map((id) => ({ id }))),
    dedupe,
    deliveriesTopic: 'deliveries',
    invalidTopic: 'invalid',
    limits: { maxJobBytes: 1_044_480 },
    budgetBytes: 786_432,
    retryDelayMs: 2_000,
    dedupeTimeoutMs: 200,
    now: () => 1_767_225_600_000,
  });
}
