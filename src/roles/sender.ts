/** Composition root of the sender role: one Sender per consumed topic, sharing producer, HTTP client and caches. */

import { parse } from '../cli/args.js';
import { topicNames } from '../config/topics.js';
import { HookstreamError } from '../core/errors.js';
import { createRetryPolicy } from '../core/retry-policy.js';
import { BatchingProducer } from '../kafka/batching-producer.js';
import { createKafka } from '../kafka/client.js';
import { kafkaTunables } from '../kafka/tunables.js';
import { ensureDeliveryIndexes } from '../mongo/deliveries.js';
import { disableWebhook, ensureWebhookIndexes } from '../mongo/webhooks.js';
import { reportOwnLag } from '../observability/lag-owner.js';
import { DeliveryRecorder } from '../sender/delivery-recorder.js';
import { HttpClient } from '../sender/http-client.js';
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
    const http = new HttpClient({
      timeoutMs: config.deliveryTimeoutMs,
      allowPrivateTargets: config.allowPrivateTargets,
    });
    started.push({ name: 'http client', close: async () => http.close() });
    const webhooks = new WebhookCache(mongo.db, secretKey, config.webhookCacheMs, logger);
    const tunables = kafkaTunables({ sessionTimeoutMs: config.kafka.sessionTimeoutMs });
    const policy = createRetryPolicy(config.tiers, config.retryBudgetMs);

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
          recorder,
          disableWebhook: async (id, reason) => {
            await disableWebhook(mongo.db, id, reason, new Date());
          },
          headerPrefix: config.headerPrefix,
          concurrency: config.senderConcurrency,
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
