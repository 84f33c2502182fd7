/** A BatchRouter over a fake producer, for the tracing tests (the router's own tests have theirs). */
import { createEventDecoder } from '../../../src/router/decode.js';
import { BatchRouter } from '../../../src/router/route-batch.js';
import { testLogger } from '../../support/helpers.js';
import { fakeProducer, liveIndex } from '../router/support.js';

export function tracedRouter(webhookIds: readonly string[]) {
  const producer = fakeProducer();
  const router = new BatchRouter({
    producer: producer.producer,
    logger: testLogger,
    decoder: createEventDecoder(null),
    webhooks: liveIndex(webhookIds.map((id) => ({ id }))),
    dedupe: null,
    deliveriesTopic: 'deliveries',
    invalidTopic: 'invalid',
    limits: { maxJobBytes: 1_044_480 },
    budgetBytes: 786_432,
    retryDelayMs: 2_000,
    dedupeTimeoutMs: 200,
    now: () => 1_767_225_600_000,
  });
  return { router, producer };
}
