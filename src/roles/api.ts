/**
 * The `api` role: MongoDB (short timeouts, so an outage answers 503 within seconds), a Kafka
 * producer for replays, test sends and operational events (`webhook.enabled`, manual
 * `webhook.disabled`), the retention sweeper, and the admin HTTP API on HOOKSTREAM_API_PORT.
 */
import { buildApiServer } from '../api/server.js';
import type { Config } from '../config/config.js';
import { topicNames } from '../config/topics.js';
import { HookstreamError } from '../core/errors.js';
import { createKafka } from '../kafka/client.js';
import { operationalPublisher } from '../kafka/operational-publisher.js';
import { ensureApiKeyIndexes } from '../mongo/api-keys.js';
import { ensureDeliveryIndexes } from '../mongo/deliveries.js';
import { ensureWebhookAdminIndexes } from '../mongo/webhook-admin.js';
import { ensureWebhookIndexes } from '../mongo/webhooks.js';
import { LagCollector } from '../observability/lag.js';
import { kafkaEnqueue } from '../services/enqueue.js';
import type { Component } from './lifecycle.js';
import { startRetention } from './retention.js';
import { connectMongoWithRetry, mongoPingCheck, type RoleContext, runRole } from './runtime.js';

/** How long an API request waits for an unreachable MongoDB before answering 503, milliseconds. */
const MONGO_SELECTION_TIMEOUT_MS = 2_000;

function requireApiConfig(config: Config): void {
  if (config.adminApiKey === null) {
    throw new HookstreamError('INVALID_CONFIG', 'HOOKSTREAM_ADMIN_API_KEY: is required by the api role', {
      details: { variable: 'HOOKSTREAM_ADMIN_API_KEY' },
    });
  }
  if (config.secretKey === null) {
    throw new HookstreamError(
      'INVALID_CONFIG',
      'HOOKSTREAM_SECRET_KEY: is required by the api role (32 bytes: openssl rand -hex 32)',
      { details: { variable: 'HOOKSTREAM_SECRET_KEY' } },
    );
  }
}

/** Starts the API role; each component is pushed onto `started` as soon as it runs. */
export async function startApi({ config, logger, signal, ops, started }: RoleContext): Promise<void> {
  requireApiConfig(config);
  // Short timeouts: an unreachable MongoDB answers 503 within seconds.
  const mongo = await connectMongoWithRetry(config, logger, signal, {
    appName: 'hookstream-api',
    timeoutMs: MONGO_SELECTION_TIMEOUT_MS,
  });
  started.push({ name: 'mongodb (api)', close: () => mongo.close() });
  const { db } = mongo;
  await ensureWebhookIndexes(db);
  await ensureWebhookAdminIndexes(db);
  await ensureDeliveryIndexes(db);
  await ensureApiKeyIndexes(db);
  await startRetention({ config, logger, started }, db);
  signal.throwIfAborted();

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    security: config.kafka,
    clientId: `${config.kafka.clientId}-api`,
    logger,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  started.push(once('kafka producer (api)', () => producer.disconnect()));
  signal.throwIfAborted();

  const names = topicNames(config.topicPrefix, config.tiers);
  // Measures lag only when the console asks (its admin client and probe connect on first use).
  const lag = new LagCollector({ kafka, logger, names, eventTopics: config.eventTopics });
  started.push(once('lag collector (api)', () => lag.close()));
  // Shares the producer; each request bounds its wait (services/webhook-lifecycle.ts, 5 s).
  const operational = operationalPublisher(producer, { topic: names.operational, logger });
  const app = buildApiServer({
    config,
    db,
    enqueue: kafkaEnqueue(producer, names.deliveries),
    publishOperational: (events) => operational.publish(events),
    logger,
    lag: (now) => lag.collect(now),
    authFailureLimit: { max: config.api.authFailuresPerMinute, windowMs: 60_000 },
  });
  started.push(once('admin api', () => app.close()));
  await app.listen({ port: config.api.port, host: config.api.host });
  ops.check('api-mongodb', mongoPingCheck(mongo));
}

function once(name: string, close: () => Promise<unknown>): Component {
  let closing: Promise<unknown> | undefined;
  return {
    name,
    close: async () => {
      closing ??= close();
      await closing;
    },
  };
}

export function runApi(args: string[]): Promise<number> {
  if (args.length > 0) {
    throw new HookstreamError(
      'VALIDATION_FAILED',
      `hookstream api takes no arguments, got: ${args.join(' ')}`,
    );
  }
  return runRole('api', startApi);
}
