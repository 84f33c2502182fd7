/** Composition root of the router role. */
import { topicNames } from '../config/topics.js';
import { HookstreamError } from '../core/errors.js';
import { createKafka } from '../kafka/client.js';
import { createSchemaRegistry } from '../kafka/schema-registry.js';
import { kafkaTunables } from '../kafka/tunables.js';
import { EventDedupe } from '../mongo/dedupe.js';
import { ensureWebhookIndexes } from '../mongo/webhooks.js';
import { reportOwnLag } from '../observability/lag-owner.js';
import { createEventDecoder } from '../router/decode.js';
import { LiveWebhookIndex } from '../router/live-index.js';
import { Router } from '../router/router.js';
import { connectMongoWithRetry, mongoPingCheck, type RoleContext, runRole } from './runtime.js';

export async function startRouter({ config, logger, signal, ops, started }: RoleContext): Promise<void> {
  const mongo = await connectMongoWithRetry(config, logger, signal);
  started.push({ name: 'mongodb (router)', close: () => mongo.close() });
  await ensureWebhookIndexes(mongo.db);

  const index = new LiveWebhookIndex(mongo.db, logger, config.webhookRefreshMs);
  await index.start(signal);
  const names = topicNames(config.topicPrefix, config.tiers);
  // Off with HOOKSTREAM_DEDUPE_WINDOW=0. Closed after the router (started before it).
  const dedupe =
    config.dedupeWindowMs > 0 ? new EventDedupe(mongo.db, { windowMs: config.dedupeWindowMs, logger }) : null;
  if (dedupe) {
    await dedupe.start();
    started.push({ name: 'dedupe sweeper', close: async () => dedupe.close() });
  }
  const registry = config.schemaRegistry ? createSchemaRegistry(config.schemaRegistry) : null;
  const router = new Router({
    kafka: createKafka({
      brokers: config.kafka.brokers,
      security: config.kafka,
      clientId: `${config.kafka.clientId}-router`,
      logger,
    }),
    tunables: kafkaTunables({ sessionTimeoutMs: config.kafka.sessionTimeoutMs }),
    logger,
    decoder: createEventDecoder(registry),
    webhooks: index,
    dedupe,
    eventTopics: config.eventTopics,
    groupId: names.routerGroup,
    deliveriesTopic: names.deliveries,
    invalidTopic: names.eventsInvalid,
    jobTopics: [...names.retry.map((r) => r.topic), names.deadLetter],
  });
  await router.start();
  started.push({ name: 'router', close: () => router.close() });
  ops.check('router', () => router.ready);
  // Not ready without MongoDB (webhook changes stop arriving), although routing goes on meanwhile.
  ops.check('mongodb', mongoPingCheck(mongo));

  // Lag and overdue of the router's own group; one router process reports (lag-owner.ts).
  reportOwnLag({ config, logger, started }, ['router']);
}

export function runRouter(args: string[]): Promise<number> {
  if (args.length > 0)
    throw new HookstreamError(
      'VALIDATION_FAILED',
      `hookstream router takes no arguments, got: ${args.join(' ')}`,
    );
  return runRole('router', startRouter);
}
