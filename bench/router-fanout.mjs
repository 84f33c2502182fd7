/**
 * Router memory and throughput, the router alone as a real process (`node bin/hookstream.js router`):
 *
 *   1. fan-out: K events of ~1 MB (999,000 bytes, plain text: each job ~1 MB) × W webhooks
 *      (default 3 × 100 = 300 jobs, ~300 MB of jobs) — peak RSS of the router;
 *   2. too large: the same size with embedded JSON (jobs ~1.6 MB) × W — all quarantined, peak RSS;
 *   3. throughput: N small events × 1 webhook — events routed per second, with ingest
 *      deduplication on (HOOKSTREAM_DEDUPE_WINDOW, default 24h) and off (0): what dedupe costs.
 *
 * Run after `npm run build`, with KAFKA_BROKERS and MONGODB_URI set:
 *   node bench/router-fanout.mjs [--webhooks 100] [--events 3] [--small 20000]
 * Prints one JSON object. Uses topics and a database of its own (dropped at the end).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { topicNames } from '../dist/config/topics.js';
import { parseTiers } from '../dist/core/retry-policy.js';
import { createKafka } from '../dist/kafka/client.js';
import { ensureTopics, planTopics } from '../dist/kafka/topics.js';
import { freePort, Sampler, scrape, startRole, waitReady } from './lib/procs.mjs';

const { values } = parseArgs({
  options: {
    webhooks: { type: 'string', default: '100' },
    events: { type: 'string', default: '3' },
    small: { type: 'string', default: '20000' },
  },
});
const W = Number(values.webhooks);
const K = Number(values.events);
const N = Number(values.small);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const mongoBase = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/hookstream';
const silent = { level: 'silent', child: () => silent, info() {}, warn() {}, error() {}, debug() {} };
const kafka = createKafka({ brokers, clientId: 'router-fanout-bench', logger: silent });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function event(environment, i, data) {
  return {
    event_id: `evt_${randomBytes(6).toString('hex')}_${i}`,
    event_type: 'contract.analyzed',
    environment,
    created_at: new Date().toISOString(),
    data,
  };
}

/** One isolated run of the router: its topics, database, webhooks and process. */
async function run(label, { webhooks, events, env = {} }) {
  const prefix = `bench-rf-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const eventTopic = `${prefix}.events`;
  const names = topicNames(prefix, parseTiers('1m'));
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    ...planTopics(names, { partitions: 1, replication: 1, retentionMs: 3_600_000 }),
    { topic: eventTopic, partitions: 1, replication: 1, retentionMs: 3_600_000, maxMessageBytes: 2_000_000 },
  ]);
  const mongoUri = mongoBase.replace(
    /^(mongodb(?:\+srv)?:\/\/[^/]+)(\/[^?]*)?/,
    `$1/${prefix.replace(/-/g, '_')}`,
  );
  const mongo = await new MongoClient(mongoUri).connect();
  const now = new Date();
  await mongo
    .db()
    .collection('webhooks')
    .insertMany(
      Array.from({ length: webhooks }, (_, j) => ({
        _id: `wh_bench_${String(j).padStart(4, '0')}`,
        environment: 'bench',
        url: 'https://receiver.example.com/hook',
        event_types: ['*'],
        enabled: true,
        deleted: false,
        created_at: now,
        updated_at: now,
      })),
    );
  const port = await freePort();
  const router = startRole(
    ['router'],
    {
      KAFKA_BROKERS: brokers.join(','),
      MONGODB_URI: mongoUri,
      HOOKSTREAM_EVENT_TOPICS: eventTopic,
      HOOKSTREAM_TOPIC_PREFIX: prefix,
      HOOKSTREAM_RETRY_TIERS: '1m',
      HOOKSTREAM_METRICS_PORT: String(port),
      HOOKSTREAM_LAG_INTERVAL_MS: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    `/tmp/${prefix}.log`,
  );
  const sampler = new Sampler();
  try {
    await waitReady(router, port);
    sampler.add('router', router.pid);
    sampler.start(100);
    sampler.mark();
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now();
    // ~1 MB events one per request (the event topic takes 2 MB records), small ones 500 at a time.
    const perSend = JSON.stringify(events[0]).length > 100_000 ? 1 : 500;
    for (let i = 0; i < events.length; i += perSend) {
      await producer.send({
        topic: eventTopic,
        acks: -1,
        messages: events.slice(i, i + perSend).map((e) => ({ value: JSON.stringify(e) })),
      });
    }
    await producer.disconnect();
    const done = async () => {
      const [routed, invalid, duplicate] = await scrape(port, [
        'hookstream_events_routed_total',
        'hookstream_events_invalid_total',
        'hookstream_events_duplicate_total',
      ]);
      const jobs = (await admin.fetchTopicOffsets(names.deliveries)).reduce((n, p) => n + Number(p.high), 0);
      return { routed, invalid, duplicate, jobs };
    };
    let state = await done();
    const deadline = Date.now() + 300_000;
    while (state.routed + state.duplicate < events.length && Date.now() < deadline) {
      await sleep(100);
      state = await done();
    }
    // The jobs of the last event are on the topic shortly after it counts as routed.
    while (state.jobs < state.routed * webhooks - state.invalid * webhooks && Date.now() < deadline) {
      await sleep(100);
      state = await done();
    }
    const seconds = (Date.now() - t0) / 1000;
    sampler.stop();
    const r = sampler.result().router;
    return {
      label,
      events: events.length,
      webhooks,
      ...state,
      seconds: Math.round(seconds * 100) / 100,
      events_per_s: Math.round(events.length / seconds),
      jobs_per_s: Math.round(state.jobs / seconds),
      router_peak_rss_mb: Math.round(r.peakMb),
      router_rss_at_end_mb: Math.round(r.rssMb),
    };
  } finally {
    await router.stop();
    await mongo
      .db()
      .dropDatabase()
      .catch(() => {});
    await mongo.close();
    await admin
      .deleteTopics({
        topics: [eventTopic, ...planTopics(names, { partitions: 1, replication: 1 }).map((p) => p.topic)],
      })
      .catch(() => {});
    await admin.disconnect();
  }
}

const plain = 'lorem ipsum dolor sit amet '.repeat(37_000).slice(0, 998_700);
const embedded = '{"k":"v"}'.repeat(76_800);
const results = [];
results.push(
  await run(`fan-out: ${K} × ~1 MB events × ${W} webhooks`, {
    webhooks: W,
    events: Array.from({ length: K }, (_, i) => event('bench', i, { text: plain })),
  }),
);
results.push(
  await run(`too large: ${K} × ~1 MB embedded-JSON events × ${W} webhooks (quarantined)`, {
    webhooks: W,
    events: Array.from({ length: K }, (_, i) => event('bench', i, { report: embedded })),
  }),
);
const small = Array.from({ length: N }, (_, i) =>
  event('bench', i, { vendor_id: `v_${i}`, note: 'x'.repeat(800) }),
);
for (const window of [process.env.HOOKSTREAM_DEDUPE_WINDOW ?? '24h', '0']) {
  results.push(
    await run(`throughput: ${N} × 1 KB events × 1 webhook, HOOKSTREAM_DEDUPE_WINDOW=${window}`, {
      webhooks: 1,
      events: small,
      env: { HOOKSTREAM_DEDUPE_WINDOW: window },
    }),
  );
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
