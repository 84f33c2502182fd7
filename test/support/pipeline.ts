/**
 * Runs the real router and senders in this process against real Kafka and MongoDB, on topics and
 * a database of their own. Webhooks are written straight into MongoDB (encrypted secrets and all),
 * so the pipeline tests do not depend on the admin API.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { type Config, loadConfig } from '../../src/config/config.js';
import { type TopicNames, topicNames } from '../../src/config/topics.js';
import { newId } from '../../src/core/ids.js';
import { createKafka } from '../../src/kafka/client.js';
import { ensureTopics, planTopics } from '../../src/kafka/topics.js';
import { type WebhookDoc, webhooksCollection } from '../../src/mongo/webhooks.js';
import { OpsServer } from '../../src/observability/ops-server.js';
import { type Component, closeAll } from '../../src/roles/lifecycle.js';
import { startRouter } from '../../src/roles/router.js';
import { senderStarter } from '../../src/roles/sender.js';
import { encryptSecret } from '../../src/security/secret-box.js';
import { type resources, services, testLogger, uniqueMongoUri, uniqueName } from './helpers.js';

export const TEST_SECRET_KEY = 'a'.repeat(64);

export interface PipelineEnv {
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly names: TopicNames;
  readonly eventTopic: string;
  readonly db: Db;
}

/** Topics, a database and a config of their own; `overrides` are environment variables. */
export async function pipelineEnv(
  r: ReturnType<typeof resources>,
  overrides: Record<string, string> = {},
): Promise<PipelineEnv> {
  const prefix = uniqueName('hs');
  const eventTopic = `${prefix}.events`;
  const mongoUri = uniqueMongoUri();
  const env: Record<string, string> = {
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    MONGODB_URI: mongoUri,
    HOOKSTREAM_EVENT_TOPICS: eventTopic,
    HOOKSTREAM_TOPIC_PREFIX: prefix,
    HOOKSTREAM_RETRY_TIERS: '1s,2s,4s',
    HOOKSTREAM_RETRY_BUDGET: '15s',
    HOOKSTREAM_SECRET_KEY: TEST_SECRET_KEY,
    HOOKSTREAM_ALLOW_HTTP: 'true',
    HOOKSTREAM_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKSTREAM_WEBHOOK_REFRESH_MS: '500',
    HOOKSTREAM_WEBHOOK_CACHE_MS: '500',
    HOOKSTREAM_METRICS_PORT: '0',
    HOOKSTREAM_TOPIC_PARTITIONS: '2',
    HOOKSTREAM_LAG_INTERVAL_MS: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
  const config = loadConfig(env);
  const names = topicNames(config.topicPrefix, config.tiers);
  const admin = await r.admin();
  await ensureTopics(admin, [
    ...planTopics(names, { partitions: config.topicPartitions, replication: 1 }),
    { topic: eventTopic, partitions: config.topicPartitions, replication: 1, retentionMs: 86_400_000 },
  ]);
  const { MongoClient } = await import('mongodb');
  const client = await new MongoClient(mongoUri).connect();
  const db = client.db();
  r.add(client, async (c) => {
    await db.dropDatabase().catch(() => {});
    await c.close();
  });
  return { env, config, names, eventTopic, db };
}

/** Starts router and/or senders in-process; stopped (gracefully) with the test's resources. */
export async function startPipeline(
  r: ReturnType<typeof resources>,
  p: PipelineEnv,
  what: { router?: boolean; senders?: string | false } = {},
): Promise<{ stop: () => Promise<void> }> {
  const started: Component[] = [];
  const controller = new AbortController();
  const ctx = {
    config: p.config,
    logger: testLogger,
    signal: controller.signal,
    ops: new OpsServer(testLogger),
    started,
  };
  const stop = async () => {
    controller.abort();
    await closeAll(started, testLogger);
    started.length = 0;
  };
  r.add(null, stop);
  if (what.senders !== false) await senderStarter(what.senders ?? 'all')(ctx);
  if (what.router !== false) await startRouter(ctx);
  return { stop };
}

export interface TestWebhook {
  id: string;
  secret: string;
}

export async function insertWebhook(
  db: Db,
  w: {
    environment: string;
    url: string;
    event_types: string[];
    enabled?: boolean;
    standard_webhooks?: boolean;
    secrets?: string[];
    /** Delivery options as stored (docs/options.md). */
    options?: Partial<Pick<WebhookDoc, 'filter' | 'headers' | 'rate_limit_per_s'>>;
  },
): Promise<TestWebhook> {
  const id = newId('wh', randomBytes(16));
  const secret = w.secrets?.[0] ?? `whsec_${randomBytes(32).toString('base64')}`;
  const now = new Date();
  const key = Buffer.from(TEST_SECRET_KEY, 'hex');
  const doc: WebhookDoc = {
    _id: id,
    environment: w.environment,
    url: w.url,
    event_types: w.event_types,
    description: null,
    enabled: w.enabled ?? true,
    disabled_reason: null,
    standard_webhooks: w.standard_webhooks ?? false,
    secrets: (w.secrets ?? [secret]).map((s, i) => ({
      ciphertext: encryptSecret(key, s, id),
      created_at: now,
      expires_at: i === 0 ? null : new Date(now.getTime() + 3_600_000),
    })),
    deleted: false,
    created_at: now,
    updated_at: now,
    ...w.options,
  };
  await webhooksCollection(db).insertOne(doc);
  return { id, secret };
}

/**
 * Produces domain events (JSON objects, or raw Buffers for poison) to the event topic, in one
 * request; `headers[i]`, when given, goes with `events[i]` (e.g. a traceparent).
 */
export async function publish(
  r: ReturnType<typeof resources>,
  topic: string,
  events: (object | Buffer)[],
  headers: (Record<string, string> | undefined)[] = [],
): Promise<void> {
  const producer = r.add(
    createKafka({
      brokers: services().kafkaBrokers,
      clientId: uniqueName('pub'),
      logger: testLogger,
    }).producer(),
    (x) => x.disconnect(),
  );
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((e, i) => ({
      value: Buffer.isBuffer(e) ? e : JSON.stringify(e),
      ...(headers[i] ? { headers: headers[i] } : {}),
    })),
  });
}

/** Reads every message currently on `topic` (from the beginning) within `ms`. */
export async function readTopic(
  r: ReturnType<typeof resources>,
  topic: string,
  until: (msgs: { value: Buffer | null; headers: Record<string, string> }[]) => boolean,
  timeoutMs = 20_000,
) {
  const out: { value: Buffer | null; headers: Record<string, string> }[] = [];
  const consumer = r.add(
    createKafka({
      brokers: services().kafkaBrokers,
      clientId: uniqueName('read'),
      logger: testLogger,
    }).consumer({ groupId: uniqueName('reader') }),
    (c) => c.disconnect(),
  );
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ value: message.value, headers });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!until(out) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  return out;
}

export function event(environment: string, eventType: string, extra: Record<string, unknown> = {}) {
  return {
    event_id: `evt_${randomBytes(8).toString('hex')}`,
    event_type: eventType,
    environment,
    created_at: new Date().toISOString(),
    data: { vendor_id: 'v_1', ...extra },
  };
}
