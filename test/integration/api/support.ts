/**
 * The admin API over real HTTP, on a database and deliveries topic of its own, with a consumer that
 * collects every job the API produces.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Consumer } from 'kafkajs';
import type { Db } from 'mongodb';
import { buildApiServer } from '../../../src/api/server.js';
import { type Config, loadConfig } from '../../../src/config/config.js';
import { type DeliveryJob, decodeJob } from '../../../src/core/job.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { ensureApiKeyIndexes } from '../../../src/mongo/api-keys.js';
import { ensureDeliveryIndexes } from '../../../src/mongo/deliveries.js';
import { ensureWebhookAdminIndexes } from '../../../src/mongo/webhook-admin.js';
import { ensureWebhookIndexes } from '../../../src/mongo/webhooks.js';
import type { Logger } from '../../../src/observability/logger.js';
import { kafkaEnqueue } from '../../../src/services/enqueue.js';
import { type LookupAll, systemLookup } from '../../../src/services/targets.js';
import { type resources, services, testLogger, uniqueName, waitFor } from '../../support/helpers.js';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789-abcdefgh';
export const SECRET_KEY_HEX = 'b'.repeat(64);

/** Test host names that resolve to a public address (there is no internet here). */
export const PUBLIC_HOSTS: Readonly<Record<string, string>> = {
  'receiver.example.com': '93.184.215.14',
  'other.example.net': '151.101.1.69',
};

/** Known public test names answer from PUBLIC_HOSTS; everything else goes to the real resolver. */
export const testLookup: LookupAll = async (host) => {
  const known = PUBLIC_HOSTS[host];
  return known === undefined ? systemLookup(host) : [known];
};

/** A job as read from the topic, with its Kafka message key. */
export type ProducedJob = DeliveryJob & { readonly kafka_key: string | null };

export interface TestApi {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly db: Db;
  readonly config: Config;
  readonly topic: string;
  /** Every job produced to the deliveries topic so far. */
  readonly jobs: ProducedJob[];
  call(method: string, path: string, opts?: CallOptions): Promise<Answer>;
  /** Waits until `n` jobs match `pred`. */
  jobsFor(pred: (j: ProducedJob) => boolean, n?: number): Promise<ProducedJob[]>;
}

export interface CallOptions {
  /** Sent as JSON unless `raw` is given. */
  readonly body?: unknown;
  /** Sent as is. */
  readonly raw?: string | Buffer;
  /** Bearer key; `null` sends no Authorization header. @default ADMIN_KEY */
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are inspected field by field
  readonly json: any;
}

export interface TestApiOptions {
  /** Extra environment variables for loadConfig. */
  readonly env?: Record<string, string>;
  readonly logger?: Logger;
  readonly lookup?: LookupAll;
  /** Collect produced jobs with a consumer. @default true */
  readonly consume?: boolean;
}

export async function startTestApi(
  r: ReturnType<typeof resources>,
  opts: TestApiOptions = {},
): Promise<TestApi> {
  const { db, uri } = await r.mongo();
  const prefix = uniqueName('hsapi');
  const config = loadConfig({
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    MONGODB_URI: uri,
    HOOKSTREAM_TOPIC_PREFIX: prefix,
    HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY,
    HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
    ...opts.env,
  });
  await ensureWebhookIndexes(db);
  await ensureWebhookAdminIndexes(db);
  await ensureDeliveryIndexes(db);
  await ensureApiKeyIndexes(db);

  const kafka = r.kafka();
  const topic = `${prefix}.deliveries`;
  const admin = await r.admin(kafka);
  await ensureTopics(admin, [{ topic, partitions: 1, replication: 1, retentionMs: 86_400_000 }]);
  const producer = kafka.producer();
  await producer.connect();
  r.add(producer, (p) => p.disconnect());

  const jobs: ProducedJob[] = [];
  if (opts.consume !== false) {
    const consumer: Consumer = kafka.consumer({ groupId: uniqueName('api-test'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    r.add(consumer, (c) => c.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    let assigned = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      assigned = true;
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        jobs.push({ ...decodeJob(message.value!), kafka_key: message.key?.toString() ?? null });
      },
    });
    await waitFor(() => assigned, { timeout: 30_000, message: 'test consumer joined its group' });
  }

  const app = buildApiServer({
    config,
    db,
    enqueue: kafkaEnqueue(producer, topic),
    logger: opts.logger ?? testLogger,
    lookup: opts.lookup ?? testLookup,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  r.add(app, (a) => a.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    app,
    base,
    db,
    config,
    topic,
    jobs,
    call: (method, path, callOpts) => call(base, method, path, callOpts),
    jobsFor: (pred, n = 1) =>
      waitFor(
        () => {
          const found = jobs.filter(pred);
          return found.length >= n ? found : null;
        },
        { timeout: 20_000, message: `${n} job(s) on ${topic}` },
      ),
  };
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? ADMIN_KEY : opts.key;
  if (key !== null) headers['authorization'] ??= `Bearer ${key}`;
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A webhook body that passes every check. */
export function webhookInput(overrides: Record<string, unknown> = {}) {
  return { url: 'https://receiver.example.com/hooks', event_types: ['vendor.created'], ...overrides };
}

export const envName = () => uniqueName('env').toLowerCase();
