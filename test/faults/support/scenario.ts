/**
 * One fault scenario's world: topics and a database of its own on the faults instance, three
 * webhooks on one receiver, a ledger fed by that receiver and by taps on the domain-event and
 * dead-letter topics, a load generator, and role processes configured for second-scale retries.
 */
import { join } from 'node:path';
import type { Consumer, Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { type TopicNames, topicNames } from '../../../src/config/topics.js';
import { parseDuration } from '../../../src/core/duration.js';
import { decodeJob } from '../../../src/core/job.js';
import { parseTiers } from '../../../src/core/retry-policy.js';
import { createKafka } from '../../../src/kafka/client.js';
import { ensureTopics, planTopics } from '../../../src/kafka/topics.js';
import {
  type resources,
  sleep,
  testLogger,
  uniqueMongoUri,
  uniqueName,
  waitFor,
} from '../../support/helpers.js';
import { event, insertWebhook, TEST_SECRET_KEY } from '../../support/pipeline.js';
import { type Received, type Reply, TestReceiver } from '../../support/receiver.js';
import { Ledger, type LedgerWebhook, type RetrySchedule } from '../ledger.js';
import type { RoleProcess, roleProcesses } from './roles.js';
import { freePort } from './roles.js';
import { FAULTS_BROKERS, instanceDir } from './stack.js';

export const ADMIN_API_KEY = 'faults-admin-key-0123456789abcdef';
export const ENVIRONMENT = 'prod';
/** Key prefix of records that must be quarantined: the ledger expects no delivery of them. */
export const HOSTILE_KEY_PREFIX = 'hostile-';

/** Three webhooks: every event matches one to three of them (two on average). */
const WEBHOOKS = [
  { path: '/all', eventTypes: ['*'] },
  { path: '/vendor', eventTypes: ['vendor.*'] },
  { path: '/created', eventTypes: ['vendor.created'] },
] as const;
const EVENT_TYPES = ['vendor.created', 'vendor.status_changed', 'assessment.completed'] as const;

export type Behaviour = (req: Received, nth: number) => Reply;

export interface ScenarioOptions {
  /** Partitions of every topic. @default 6 */
  readonly partitions?: number;
  /** Extra/overriding environment variables for the roles. */
  readonly env?: Record<string, string>;
  /** How the receiver answers. @default always 200 */
  readonly behaviour?: Behaviour;
}

export interface Load {
  /** Events acknowledged by Kafka so far. */
  readonly acked: () => number;
  /** Resolves when every event is acknowledged. */
  readonly done: Promise<void>;
  /** Resolves once `n` events are acknowledged. */
  until(n: number): Promise<void>;
}

/** A consumer that reads a topic from the beginning, each record once (by partition and offset). */
export class TopicTap {
  readonly records: {
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    partition: number;
    at: number;
  }[] = [];
  readonly #seen = new Set<string>();
  #consumer: Consumer | null = null;

  constructor(
    readonly kafka: Kafka,
    readonly topic: string,
    readonly onRecord: (r: TopicTap['records'][number], timestampMs: number) => void = () => {},
  ) {}

  async start(): Promise<this> {
    const consumer = this.kafka.consumer({ groupId: uniqueName('tap'), maxWaitTimeInMs: 200 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = `${partition}:${message.offset}`;
        if (this.#seen.has(key)) return;
        this.#seen.add(key);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        const record = {
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers,
          partition,
          at: Date.now(),
        };
        this.records.push(record);
        this.onRecord(record, Number(message.timestamp));
      },
    });
    return this;
  }

  /** True when every record up to the topic's current end has been read. */
  async caughtUp(): Promise<boolean> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      const total = offsets.reduce((n, o) => n + (Number(o.high) - Number(o.low)), 0);
      return this.records.length >= total;
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
  }
}

export interface Scenario {
  readonly name: string;
  readonly prefix: string;
  readonly names: TopicNames;
  readonly eventTopic: string;
  readonly mongoUri: string;
  /** The scenario's database (a client of the test process). */
  readonly db: Db;
  /** Environment of every role process. */
  readonly env: Record<string, string>;
  readonly schedule: RetrySchedule;
  readonly webhooks: readonly LedgerWebhook[];
  readonly receiver: TestReceiver;
  readonly ledger: Ledger;
  readonly kafka: Kafka;
  readonly logDir: string;
  readonly events: TopicTap;
  readonly deadLetters: TopicTap;
  /** Replaces the receiver's behaviour (still recorded in the ledger). */
  behave(b: Behaviour): void;
  role(name: string, args: readonly string[], env?: Record<string, string>): RoleProcess;
  /** Produces `count` events at `perSecond`, retrying a batch until Kafka acknowledges it. */
  load(opts: { count: number; perSecond: number }): Load;
  /**
   * Waits until every produced event was read back and every expected delivery is delivered or
   * dead-lettered, then `quietMs` more for late duplicates. Returns when it settled (epoch ms).
   */
  settle(opts?: { timeoutMs?: number; quietMs?: number }): Promise<number>;
}

export async function createScenario(
  r: ReturnType<typeof resources>,
  roles: ReturnType<typeof roleProcesses>,
  name: string,
  opts: ScenarioOptions = {},
): Promise<Scenario> {
  const partitions = opts.partitions ?? 6;
  const prefix = uniqueName(`f-${name}`);
  const eventTopic = `${prefix}.events`;
  const mongoUri = uniqueMongoUri('f');
  const env: Record<string, string> = {
    KAFKA_BROKERS: FAULTS_BROKERS,
    MONGODB_URI: mongoUri,
    HOOKSTREAM_EVENT_TOPICS: eventTopic,
    HOOKSTREAM_TOPIC_PREFIX: prefix,
    HOOKSTREAM_RETRY_TIERS: '1s,2s,4s',
    HOOKSTREAM_RETRY_BUDGET: '20s',
    HOOKSTREAM_DELIVERY_TIMEOUT_MS: '2000',
    HOOKSTREAM_SENDER_CONCURRENCY: '32',
    HOOKSTREAM_SECRET_KEY: TEST_SECRET_KEY,
    HOOKSTREAM_ADMIN_API_KEY: ADMIN_API_KEY,
    HOOKSTREAM_ALLOW_HTTP: 'true',
    HOOKSTREAM_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKSTREAM_WEBHOOK_REFRESH_MS: '1000',
    HOOKSTREAM_WEBHOOK_CACHE_MS: '2000',
    HOOKSTREAM_TOPIC_PARTITIONS: String(partitions),
    HOOKSTREAM_API_HOST: '127.0.0.1',
    // Delivery records are off the delivery path and FerretDB's SQLite backend updates by _id with
    // a scan (O(n) per write): recording every success would spend a core on FerretDB. Scenarios
    // about the records (the MongoDB outage) set `full`.
    HOOKSTREAM_DELIVERY_RECORDS: 'failures',
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'info',
    ...opts.env,
  };
  const tiers = parseTiers(env.HOOKSTREAM_RETRY_TIERS!);
  const schedule: RetrySchedule = {
    tiersMs: tiers.map((t) => t.delayMs),
    budgetMs: parseDuration(env.HOOKSTREAM_RETRY_BUDGET!),
    timeoutMs: Number(env.HOOKSTREAM_DELIVERY_TIMEOUT_MS),
  };
  const names = topicNames(prefix, tiers);
  const kafka = createKafka({
    brokers: [FAULTS_BROKERS],
    clientId: uniqueName('faults'),
    logger: testLogger,
  });
  const admin = await r.admin(kafka);
  await ensureTopics(admin, [
    ...planTopics(names, { partitions, replication: 1 }),
    { topic: eventTopic, partitions, replication: 1, retentionMs: 86_400_000 },
  ]);

  const { MongoClient } = await import('mongodb');
  const client = await new MongoClient(mongoUri, { serverSelectionTimeoutMS: 10_000 }).connect();
  const db = client.db();
  r.add(client, async (c) => {
    await db.dropDatabase().catch(() => {});
    await c.close();
  });

  let behaviour: Behaviour = opts.behaviour ?? (() => ({ status: 200 }));
  // The ledger needs the webhooks, the webhooks need the receiver's URL: wire the behaviour late.
  let ledger: Ledger | null = null;
  const receiver = r.add(
    await new TestReceiver((req, nth) => {
      const reply = behaviour(req, nth);
      ledger?.observe(req, reply);
      return reply;
    }).start(),
    (x) => x.close(),
  );
  const webhooks: LedgerWebhook[] = [];
  for (const w of WEBHOOKS) {
    const { id, secret } = await insertWebhook(db, {
      environment: ENVIRONMENT,
      url: `${receiver.url}${w.path}`,
      event_types: [...w.eventTypes],
    });
    webhooks.push({ id, secret, path: w.path, environment: ENVIRONMENT, eventTypes: w.eventTypes });
  }
  const theLedger = new Ledger(webhooks);
  ledger = theLedger;

  const events = r.add(
    await new TopicTap(kafka, eventTopic, (rec, ts) => {
      // Records keyed `hostile-…` are meant to be quarantined, not delivered.
      if (rec.key?.startsWith(HOSTILE_KEY_PREFIX)) return;
      try {
        const e = JSON.parse(rec.value?.toString('utf8') ?? '');
        if (typeof e?.event_id === 'string') theLedger.produced(e, ts);
      } catch {
        // not an event of ours (hostile input): the ledger expects nothing of it
      }
    }).start(),
    (t) => t.stop(),
  );
  const deadLetters = r.add(
    await new TopicTap(kafka, names.deadLetter, (rec) => {
      try {
        const job = decodeJob(rec.value ?? Buffer.alloc(0));
        theLedger.deadLettered(job, rec.headers['hookstream-dead-letter-reason'] ?? '', rec.at);
      } catch {
        // a quarantined malformed job: not a delivery
      }
    }).start(),
    (t) => t.stop(),
  );

  const logDir = join(instanceDir(), 'roles', prefix);
  const loads: Promise<void>[] = [];
  let stopped = false;
  r.add(null, async () => {
    stopped = true;
    await Promise.allSettled(loads);
  });

  return {
    name,
    prefix,
    names,
    eventTopic,
    mongoUri,
    db,
    env,
    schedule,
    webhooks,
    receiver,
    ledger: theLedger,
    kafka,
    logDir,
    events,
    deadLetters,
    behave(b) {
      behaviour = b;
    },
    role(roleName, args, extra = {}) {
      return roles.create(roleName, args, { ...env, ...extra }, logDir);
    },
    load({ count, perSecond }) {
      let acked = 0;
      const producer = kafka.producer();
      const done = (async () => {
        await producer.connect();
        const perTick = Math.max(1, Math.round(perSecond / 10));
        const t0 = Date.now();
        try {
          for (let sent = 0; sent < count && !stopped; ) {
            const n = Math.min(perTick, count - sent);
            const batch = Array.from({ length: n }, (_, i) =>
              event(ENVIRONMENT, EVENT_TYPES[(sent + i) % EVENT_TYPES.length]!, { seq: sent + i }),
            );
            const messages = batch.map((e) => ({ value: JSON.stringify(e) }));
            for (;;) {
              try {
                await producer.send({ topic: eventTopic, acks: -1, messages });
                break;
              } catch (err) {
                if (stopped) return;
                process.stderr.write(`load: produce failed (${(err as Error).message}); retrying\n`);
                await sleep(500);
              }
            }
            sent += n;
            acked = sent;
            // Paced by the clock, so a stall (broker down) is followed by a catch-up burst.
            const due = t0 + (sent / perSecond) * 1000;
            if (due > Date.now()) await sleep(due - Date.now());
          }
        } finally {
          await producer.disconnect().catch(() => {});
        }
      })();
      loads.push(done.catch(() => {}));
      return {
        acked: () => acked,
        done,
        until: (n) =>
          waitFor(() => acked >= n, { timeout: 180_000, interval: 50, message: `${n} events acked` }).then(
            () => {},
          ),
      };
    },
    async settle({ timeoutMs = 120_000, quietMs = 3_000 } = {}) {
      await waitFor(
        async () => theLedger.expected > 0 && theLedger.outstanding === 0 && (await events.caughtUp()),
        {
          timeout: timeoutMs,
          interval: 250,
          message: `every delivery settled (outstanding: ${theLedger.outstanding} of ${theLedger.expected})`,
        },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; outstanding ${theLedger.outstanding} of ${theLedger.expected}`);
      });
      const at = theLedger.lastSettledAt() ?? Date.now();
      await sleep(quietMs);
      return at;
    },
  };
}

/** An API role's base URL. */
export async function apiRole(s: Scenario, name = 'api', env: Record<string, string> = {}) {
  const port = await freePort();
  const proc = s.role(name, ['api'], { HOOKSTREAM_API_PORT: String(port), ...env });
  return { proc, base: `http://127.0.0.1:${port}` };
}
