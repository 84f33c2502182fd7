/**
 * Composition root of the sender role: one Sender per consumed topic, sharing one producer, one
 * undici agent, one recorder, one webhook cache, one byte budget and one endpoint-health writer per
 * process. Operational events go out on the same producer (`<prefix>.operational`).
 */
import { randomBytes } from 'node:crypto';

import { parse } from '../cli/args.js';
import { topicNames } from '../config/topics.js';
import { HookstreamError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { webhookDisabled } from '../core/operational.js';
import { createRetryPolicy } from '../core/retry-policy.js';
import { createDeliveryAgent } from '../http/agent.js';
import { HttpClient } from '../http/post.js';
import { BatchingProducer } from '../kafka/batching-producer.js';
import { createKafka } from '../kafka/client.js';
import { Budget } from '../kafka/in-flight.js';
import { operationalPublisher } from '../kafka/operational-publisher.js';
import { kafkaTunables } from '../kafka/tunables.js';
import { untilAcked } from '../kafka/until-acked.js';
import { ensureDeliveryIndexes } from '../mongo/deliveries.js';
import { type DisabledWebhook, disableGone, WebhookHealthWriter } from '../mongo/webhook-health.js';
import { ensureWebhookIndexes } from '../mongo/webhooks.js';
import { reportOwnLag } from '../observability/lag-owner.js';
import { metrics } from '../observability/metrics.js';
import { DeliveryRecorder } from '../sender/delivery-recorder.js';
import { attemptHealth } from '../sender/observers.js';
import { Sender } from '../sender/sender.js';
import { WebhookCache } from '../sender/webhook-cache.js';
import {
  connectMongoWithRetry,
  mongoPingCheck,
  type RoleContext,
  requireSecretKey,
  runRole,
} from './runtime.js';

/** `deliveries`, a tier name, or `all`. */
export type TierSelection = string;

export function senderStarter(selection: TierSelection) {
  return async ({ config, logger, signal, ops, started }: RoleContext): Promise<void> => {
    const names = topicNames(config.topicPrefix, config.tiers);
    const all = [
      { tier: 'deliveries', topic: names.deliveries, group: names.senderGroup },
      ...names.retry.map((r) => ({ tier: r.tier.name, topic: r.topic, group: r.group })),
    ];
    const chosen = selection === 'all' ? all : all.filter((s) => s.tier === selection);
    if (chosen.length === 0) {
      throw new HookstreamError(
        'VALIDATION_FAILED',
        `--tier ${selection}: not a tier of HOOKSTREAM_RETRY_TIERS; use deliveries, all, or one of ${config.tiers.map((t) => t.name).join(', ')}`,
      );
    }
    const secretKey = requireSecretKey(config, 'sender');

    const mongo = await connectMongoWithRetry(config, logger, signal);
    started.push({ name: 'mongodb (sender)', close: () => mongo.close() });
    await ensureWebhookIndexes(mongo.db);
    await ensureDeliveryIndexes(mongo.db);
    ops.check('mongodb', mongoPingCheck(mongo));

    const kafka = createKafka({
      brokers: config.kafka.brokers,
      security: config.kafka,
      clientId: `${config.kafka.clientId}-sender`,
      logger,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const batching = new BatchingProducer(producer);
    started.push({
      name: 'producer (sender)',
      close: async () => {
        await batching.drain();
        await producer.disconnect();
      },
    });

    const recorder = new DeliveryRecorder(mongo.db, logger, { mode: config.deliveryRecords });
    started.push({ name: 'delivery records', close: () => recorder.close() });
    const agent = createDeliveryAgent({ allowPrivateTargets: config.allowPrivateTargets });
    started.push({ name: 'http agent', close: () => agent.close() });
    const http = new HttpClient(agent, { timeoutMs: config.deliveryTimeoutMs });
    const bytes = new Budget(config.senderMaxInflightBytes);
    const gauge = setInterval(() => metrics.senderInflightBytes.set(bytes.used), 1_000).unref();
    started.push({ name: 'in-flight bytes gauge', close: async () => clearInterval(gauge) });
    const webhooks = new WebhookCache(mongo.db, secretKey, config.webhookCacheMs, logger, {
      headerPrefix: config.headerPrefix,
    });
    const tunables = kafkaTunables({ sessionTimeoutMs: config.kafka.sessionTimeoutMs });
    const policy = createRetryPolicy(config.tiers, config.retryBudgetMs);
    // On the raw producer: `publish` resolves once acknowledged (acks -1), unbatched.
    const operational = operationalPublisher(producer, { topic: names.operational, logger });
    const newEventId = () => newId('opx', randomBytes(16));
    const health = new WebhookHealthWriter({
      db: mongo.db,
      policy: { disableAfterMs: config.disableAfterMs, minAttempts: config.disableMinAttempts },
      logger,
      // The disable is written already; its events are retried until Kafka has them (or shutdown:
      // the publisher logged each failure with the event ids).
      onDisabled: async (disabled: readonly DisabledWebhook[]) => {
        for (const d of disabled) webhooks.invalidate(d.webhook_id);
        const events = disabled.map((d) =>
          webhookDisabled({
            eventId: newEventId(),
            now: d.disabled_at,
            environment: d.environment,
            webhookId: d.webhook_id,
            reason: 'persistent_failure',
            failingSince: d.failing_since,
            failedAttempts: d.failed_attempts,
          }),
        );
        await untilAcked(names.operational, () => operational.publish(events), signal, logger);
      },
    }).start();
    // Closed after the senders (their last outcomes are written) and before the producer.
    started.push({ name: 'webhook health', close: () => health.close() });

    const senders = chosen.map(
      (s) =>
        new Sender({
          kafka,
          tunables,
          logger,
          tier: s.tier,
          topic: s.topic,
          groupId: s.group,
          names,
          policy,
          producer: batching,
          webhooks,
          http,
          bytes,
          recorder,
          disableWebhook: (id) => disableGone(mongo.db, id, new Date()),
          operational,
          observers: [attemptHealth(health)],
          headerPrefix: config.headerPrefix,
          concurrency: config.senderConcurrency,
          propagateTrace: config.tracePropagate,
        }),
    );
    // Close all senders together: each finishes its own in-flight attempts.
    started.push({
      name: 'senders',
      close: async () => void (await Promise.all(senders.map((s) => s.close()))),
    });
    await Promise.all(senders.map((s) => s.start()));
    ops.check('senders', () => senders.every((s) => s.ready));
    // Lag and overdue of this process's own groups; one process per group reports (lag-owner.ts).
    reportOwnLag(
      { config, logger, started },
      chosen.map((s) => s.tier),
    );
  };
}

export function runSender(args: string[]): Promise<number> {
  const usage = 'hookstream sender [--tier deliveries|<tier>|all]';
  const { values, positionals } = parse(args, { tier: { type: 'string', default: 'all' } }, usage);
  if (positionals.length > 0)
    throw new HookstreamError('VALIDATION_FAILED', `unexpected argument ${positionals[0]}\nusage: ${usage}`);
  return runRole(`sender-${values.tier}`, senderStarter(values.tier as string));
}
