/**
 * `npm run bench [-- options]` — hookstream's benchmark; docs/performance.md explains each scenario.
 *
 * Runs hookstream as real child processes (`node bin/hookstream.js router|sender …`), each scenario
 * on a topic prefix and MongoDB database of its own, against the local services (scripts/stack.sh
 * up, reusing running ones) or whatever KAFKA_BROKERS / MONGODB_URI name. Writes
 * <out>/latest.{md,svg,json} and prints a summary; child-process logs stay in a temp directory.
 * Any HOOKSTREAM_* variable set for the run (not HOOKSTREAM_STACK_*) goes to every hookstream
 * process, e.g. `HOOKSTREAM_DEDUPE_WINDOW=0 npm run bench` measures routing without deduplication.
 *
 * Load
 *   --events N           events of ~1 KB for the ceilings, (a), (c) and naive      200000
 *   --webhooks W         webhooks, one receiver origin each                         100
 *   --fanout F           webhooks each event matches                                1
 *   --concurrency C      sender window, and the ceiling's concurrency               256
 *   --latency MS         receivers answer after MS                                  10
 *   --failure-rate R     share of requests receivers answer 500                     0
 *   --records MODE       HOOKSTREAM_DELIVERY_RECORDS: full | failures               full
 *   --partitions P       partitions of every topic                                  12
 *   --timeout-ms MS      HOOKSTREAM_DELIVERY_TIMEOUT_MS                             10000
 * Scenarios
 *   --scenarios LIST     any of ceiling,node_http,got,a,today,naive,naive0,b,c,d    all
 *                        (ceiling: raw undici; node_http, got: reference clients;
 *                        today: (a) with the build in --today, if given)
 *   --today DIR          a built earlier hookstream (DIR/bin/hookstream.js) for (a)'s
 *                        ratio to today's sender, measured in the same run           –
 *   --naive-seconds S    longest naive run                                          20
 *   --paced-deliveries R (b) fixed rate, deliveries/s                               1000
 *   --rate R             (b) rate, events/s, instead                                –
 *   --paced-seconds S    (b) measured time (at most --events events)                30
 *   --warmup S           (b) unmeasured warm-up at the same rate                    10
 *   --hang-fraction X    (c) share of webhooks that never answer                    0.1
 *   --backlog N          (d) jobs parked in the 1h tier                 5 × events, ≤ 1000000
 *   --hold S             (d) how long the 1h sender is watched                      20
 * Run
 *   --json PATH          also write the results there
 *   --out DIR            where latest.{md,svg,json} go                  bench/results
 *   --quiet-wait S       wait up to S for other load on the machine to settle       120
 *   --drain-timeout S    longest wait for delivery records after the last delivery  300
 *   --cpu-prof           V8 CPU profiles of every process (in the logs directory)
 *   --node-args=ARGS     node flags for the hookstream processes (default: the image's
 *                        NODE_OPTIONS, the V8 heap cap; --node-args= for none)
 *   --tap                (b) also time jobs as they land on the deliveries topic
 *   --keep               keep topics and databases
 *   --no-stack           do not run scripts/stack.sh up
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { topicNames } from '../dist/config/topics.js';
import { deliveryId, newId } from '../dist/core/ids.js';
import { encodeJob } from '../dist/core/job.js';
import { parseTiers } from '../dist/core/retry-policy.js';
import { ensureTopics, planTopics } from '../dist/kafka/topics.js';
import { encryptSecret } from '../dist/security/secret-box.js';
import { environments, makeEvent, runId as newRunId, newSecret } from './lib/payload.mjs';
import {
  forkHelper,
  freePort,
  machineCpu,
  Sampler,
  scrape,
  scrapeLabeled,
  startRole,
  waitQuiet,
  waitReady,
} from './lib/procs.mjs';
import { markdown, summary, svg } from './lib/report.mjs';
import { round } from './lib/stats.mjs';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** The image's NODE_OPTIONS (Dockerfile; the chart's nodeOptions): hookstream runs with them here too. */
const IMAGE_NODE_OPTIONS =
  /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(path.join(repo, 'Dockerfile'), 'utf8'))?.[1] ?? '';
process.chdir(repo);

// ─── options ──────────────────────────────────────────────────────────────────────────────────

const { values: opt } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    webhooks: { type: 'string', default: '100' },
    fanout: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '256' },
    scenarios: { type: 'string', default: 'ceiling,node_http,got,a,today,naive,naive0,b,c,d' },
    today: { type: 'string' },
    backlog: { type: 'string' },
    hold: { type: 'string', default: '20' },
    latency: { type: 'string', default: '10' },
    'failure-rate': { type: 'string', default: '0' },
    'paced-deliveries': { type: 'string', default: '1000' },
    rate: { type: 'string' },
    'paced-seconds': { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    'naive-seconds': { type: 'string', default: '20' },
    'hang-fraction': { type: 'string', default: '0.1' },
    records: { type: 'string', default: 'full' },
    partitions: { type: 'string', default: '12' },
    'timeout-ms': { type: 'string', default: '10000' },
    'cpu-prof': { type: 'boolean', default: false },
    'node-args': { type: 'string', default: IMAGE_NODE_OPTIONS },
    tap: { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '120' },
    'drain-timeout': { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
    'no-stack': { type: 'boolean', default: false },
    json: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  const doc = readFileSync(new URL(import.meta.url), 'utf8');
  process.stdout.write(`${/\/\*\*([\s\S]*?)\*\//.exec(doc)[1].replace(/^ \* ?/gm, '')}\n`);
  process.exit(0);
}
const num = (name, min = 0) => {
  const v = Number(opt[name]);
  if (!Number.isFinite(v) || v < min)
    throw new Error(`--${name} must be a number ≥ ${min}, got ${opt[name]}`);
  return v;
};
const P = {
  events: num('events', 1),
  webhooks: num('webhooks', 1),
  fanout: num('fanout', 1),
  concurrency: num('concurrency', 1),
  backlog: opt.backlog === undefined ? Math.min(1_000_000, 5 * num('events', 1)) : num('backlog', 1),
  holdS: num('hold', 1),
  latencyMs: num('latency'),
  failureRate: num('failure-rate'),
  pacedDeliveries: num('paced-deliveries', 1),
  pacedSeconds: num('paced-seconds', 1),
  warmupS: num('warmup'),
  naiveSeconds: num('naive-seconds', 1),
  hangFraction: num('hang-fraction'),
  partitions: num('partitions', 1),
  timeoutMs: num('timeout-ms', 100),
  records: opt.records,
};
if (P.fanout > P.webhooks) throw new Error('--fanout cannot exceed --webhooks');
if (!['full', 'failures'].includes(P.records)) throw new Error('--records must be full or failures');
const wanted = new Set(opt.scenarios.split(',').map((s) => s.trim()));
// Ratios need their references: (a) needs the ceiling and naive figures, (b) the ceiling's rate.
if (!opt.today) wanted.delete('today');

/** HOOKSTREAM_* settings given to the benchmark (not the stack's own): passed to every hookstream process. */
const SETTINGS_FROM_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => k.startsWith('HOOKSTREAM_') && !k.startsWith('HOOKSTREAM_STACK_'),
  ),
);
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const MONGO_BASE = (process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017').replace(
  /^(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/,
  '$1',
);
const mongoUri = (db) => {
  const [base, query] = MONGO_BASE.split('?');
  return `${base}/${db}${query ? `?${query}` : ''}`;
};
const RUN = newRunId();
const SECRET_KEY = randomBytes(32).toString('hex');
const WORK = path.join(os.tmpdir(), `hookstream-bench-${RUN}`);
mkdirSync(WORK, { recursive: true });
mkdirSync(opt.out, { recursive: true });
const ENV_COUNT = environments(P.webhooks, P.fanout);

// ─── progress ─────────────────────────────────────────────────────────────────────────────────

const tty = process.stderr.isTTY;
let lastProgress = 0;
function progress(line, force = false) {
  if (tty) process.stderr.write(`\r\x1b[K${line}`);
  else if (force || Date.now() - lastProgress > 5_000) {
    process.stderr.write(`${line}\n`);
    lastProgress = Date.now();
  }
}
function say(line) {
  if (tty) process.stderr.write('\r\x1b[K');
  process.stderr.write(`${line}\n`);
}
const n = (v) => Math.round(v).toLocaleString('en-US');

// ─── cleanup on exit ──────────────────────────────────────────────────────────────────────────

const cleanups = [];
let interrupted = false;
async function cleanupAll() {
  while (cleanups.length)
    await cleanups
      .pop()()
      .catch(() => {});
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`\n${sig}: stopping child processes and cleaning up…`);
    await cleanupAll();
    process.exit(130);
  });
}

// ─── services ─────────────────────────────────────────────────────────────────────────────────

if (!opt['no-stack'] && process.env.KAFKA_BROKERS === undefined) {
  say('services: bash scripts/stack.sh up (reuses running ones)');
  execFileSync('bash', ['scripts/stack.sh', 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!existsSync('dist/main.js')) throw new Error('dist/ is missing: run `npm run build` first');

const kafka = new Kafka({ clientId: `bench-${RUN}`, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const mongo = await new MongoClient(mongoUri('admin')).connect();
cleanups.push(async () => {
  await admin.disconnect();
  await mongo.close();
});

// ─── receiver and webhooks ────────────────────────────────────────────────────────────────────

/** --cpu-prof: every process of the run writes a V8 profile under <logs>/profiles/<name>/. */
function profArgs(name) {
  if (!opt['cpu-prof']) return [];
  const dir = path.join(WORK, 'profiles', name);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

const receiver = forkHelper('bench/receiver.mjs', path.join(WORK, 'receiver.log'), profArgs('receiver'));
cleanups.push(() => receiver.stop());
const secrets = Array.from({ length: P.webhooks }, newSecret);
const { ports } = await receiver.ask({ type: 'listen', secrets }, 'listening');
const webhooks = secrets.map((secret, j) => ({
  index: j,
  id: newId('wh', randomBytes(16)),
  secret,
  environment: `bench-${j % ENV_COUNT}`,
  url: `http://127.0.0.1:${ports[j]}/hooks/bench`,
}));
const hangingSet = new Set(
  webhooks
    .filter((w) => w.index % Math.round(1 / P.hangFraction) === Math.round(1 / P.hangFraction) - 1)
    .map((w) => w.index),
);

async function insertWebhooks(db) {
  const key = Buffer.from(SECRET_KEY, 'hex');
  const now = new Date();
  await db.collection('webhooks').insertMany(
    webhooks.map((w) => ({
      _id: w.id,
      environment: w.environment,
      url: w.url,
      event_types: ['vendor.created', 'vendor.status_changed', 'assessment.*'],
      description: `bench ${w.index}`,
      enabled: true,
      disabled_reason: null,
      standard_webhooks: false,
      secrets: [{ ciphertext: encryptSecret(key, w.secret, w.id), created_at: now, expires_at: null }],
      deleted: false,
      created_at: now,
      updated_at: now,
    })),
  );
}

// ─── Kafka helpers ────────────────────────────────────────────────────────────────────────────

async function createTopic(topic) {
  await createTopics([{ topic, partitions: P.partitions, replication: 1, retentionMs: 86_400_000 }]);
}

/**
 * hookstream's own `ensureTopics`, then a wait until every partition has a leader. (kafkajs'
 * createTopics `waitForLeaders` gives up with UNKNOWN_TOPIC_OR_PARTITION when the broker is slow
 * to publish a new topic's metadata.)
 */
async function createTopics(plans) {
  try {
    await ensureTopics(admin, plans);
  } catch (err) {
    if (err?.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
  }
  await topicsReady(plans.map((p) => p.topic));
}

/** Waits until every partition of `topics` has a leader (a busy broker can take a moment). */
async function topicsReady(topics, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await admin
      .fetchTopicMetadata({ topics })
      .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`topics not ready after ${timeoutMs} ms: ${topics.join(', ')}`);
    await sleep(200);
  }
}

/** producer.send, retried a few times: a broker shared with other work has its moments. */
async function send(producer, record) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await producer.send(record);
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(500 * attempt);
    }
  }
}

/**
 * A producer for one phase. (One producer for the whole run would break: kafkajs refreshes the
 * metadata of every topic a producer ever wrote to, and fails once an earlier scenario's topic
 * has been deleted.)
 */
async function withProducer(fn) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    return await fn(producer);
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

/** Produces `count` messages made by `make(i)` as fast as Kafka takes them (several batches in flight). */
async function produceAll(topic, count, make, label) {
  return withProducer((producer) => produceAllWith(producer, topic, count, make, label));
}

async function produceAllWith(producer, topic, count, make, label) {
  const batch = 500;
  const inFlight = 4;
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < count) {
      const from = next;
      const to = Math.min(count, from + batch);
      next = to;
      const messages = [];
      for (let i = from; i < to; i++) messages.push(make(i));
      await send(producer, { topic, acks: -1, messages });
      progress(`${label}: produced ${n(to)}/${n(count)} (${n((to / (Date.now() - started)) * 1000)}/s)`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = (Date.now() - started) / 1000;
  say(`${label}: produced ${n(count)} in ${s.toFixed(1)} s (${n(count / s)}/s)`);
}

function eventMessage(i, createdAtMs = Date.now()) {
  return { value: JSON.stringify(makeEvent(RUN, i, ENV_COUNT, createdAtMs)) };
}

/** Deliveries the events 0…count-1 make to webhooks that answer (not in `hang`). */
function expectedDeliveries(count, hang = new Set()) {
  const perEnv = new Map();
  for (const w of webhooks)
    if (!hang.has(w.index)) perEnv.set(w.environment, (perEnv.get(w.environment) ?? 0) + 1);
  let total = 0;
  for (let e = 0; e < ENV_COUNT; e++) {
    const events = Math.floor(count / ENV_COUNT) + (e < count % ENV_COUNT ? 1 : 0);
    total += events * (perEnv.get(`bench-${e}`) ?? 0);
  }
  return total;
}

// ─── one hookstream deployment (prefix + database + processes) ────────────────────────────────

async function deployment(name, { tiers, eventTopic }) {
  const prefix = `bench-${RUN}-${name}`;
  const dbName = `bench_${RUN}_${name}`;
  const db = mongo.db(dbName);
  const names = topicNames(prefix, parseTiers(tiers ?? '1m,10m,1h,6h'));
  const plans = planTopics(names, { partitions: P.partitions, replication: 1, retentionMs: 86_400_000 });
  await createTopics(plans);
  await insertWebhooks(db);
  const roles = [];
  const env = {
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    MONGODB_URI: mongoUri(dbName),
    HOOKSTREAM_EVENT_TOPICS: eventTopic ?? `${prefix}.events`,
    HOOKSTREAM_TOPIC_PREFIX: prefix,
    HOOKSTREAM_SECRET_KEY: SECRET_KEY,
    HOOKSTREAM_ALLOW_HTTP: 'true',
    HOOKSTREAM_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKSTREAM_SENDER_CONCURRENCY: String(P.concurrency),
    HOOKSTREAM_DELIVERY_RECORDS: P.records,
    HOOKSTREAM_DELIVERY_TIMEOUT_MS: String(P.timeoutMs),
    HOOKSTREAM_TOPIC_PARTITIONS: String(P.partitions),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...(tiers ? { HOOKSTREAM_RETRY_TIERS: tiers } : {}),
    ...SETTINGS_FROM_ENV,
  };
  const dep = {
    name,
    prefix,
    names,
    db,
    roles,
    sampler: new Sampler(),
    /** `root`: run the role from another build (`--today`); default this checkout. */
    async start(label, args, root = null) {
      const port = await freePort();
      const role = startRole(
        args,
        { ...env, HOOKSTREAM_METRICS_PORT: String(port) },
        path.join(WORK, `${name}-${label}.log`),
        [...profArgs(`${name}-${label}`), ...opt['node-args'].split(' ').filter(Boolean)],
        root,
      );
      role.label = label;
      role.port = port;
      roles.push(role);
      this.sampler.add(label, role.pid);
      acct.add(`pid${role.pid}`, role.pid);
      return role;
    },
    async ready() {
      await Promise.all(roles.map((r) => waitReady(r, r.port)));
    },
    /** Peak V8 heap and external memory per role, MB, from the roles' own /metrics. */
    heap: {},
    async sampleHeap() {
      for (const r of roles) {
        const m = await scrape(r.port, [
          'nodejs_heap_size_used_bytes',
          'nodejs_heap_size_total_bytes',
          'nodejs_external_memory_bytes',
        ]);
        if (m === null) continue;
        const [used, total, external] = m;
        this.heap[r.label] ??= { used_mb: 0, total_mb: 0, external_mb: 0 };
        const h = this.heap[r.label];
        h.used_mb = Math.max(h.used_mb, Math.round(used / 2 ** 20));
        h.total_mb = Math.max(h.total_mb, Math.round(total / 2 ** 20));
        h.external_mb = Math.max(h.external_mb, Math.round(external / 2 ** 20));
      }
    },
    async stop() {
      this.sampler.stop();
      await Promise.all(roles.map((r) => r.stop()));
      roles.length = 0;
    },
    async destroy() {
      await this.stop();
      if (opt.keep) return;
      await db.dropDatabase().catch(() => {});
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => {});
    },
  };
  cleanups.push(() => dep.destroy());
  return dep;
}

/**
 * First attempts the sender of `dep` made that did not succeed, by outcome (from its /metrics).
 * A healthy receiver can still see one fail now and then (a keep-alive connection closed as it is
 * reused): such a job goes to the 1m tier and never reaches the receiver during the scenario.
 */
async function failedFirstAttempts(dep) {
  const sender = dep?.roles.find((r) => r.label === 'sender');
  if (!sender) return {};
  const rows = (await scrapeLabeled(sender.port, 'hookstream_attempts_total')) ?? [];
  const out = {};
  for (const { labels, value } of rows) {
    if (labels.tier === 'deliveries' && labels.outcome !== 'success' && value > 0)
      out[labels.outcome] = value;
  }
  return out;
}

/**
 * Waits until the receiver has `expected` unique first-attempt deliveries — counting first attempts
 * that failed (except, with `hangingTimeouts`, timeouts, which are the hanging webhooks') — or
 * until they stop coming.
 */
async function waitDelivered(
  label,
  expected,
  dep,
  { stallMs = 60_000, extra, hangingTimeouts = false } = {},
) {
  let last = -1;
  let lastChange = Date.now();
  let lastHeap = 0;
  let failed = 0;
  let lastFailedCheck = 0;
  for (;;) {
    if (dep && Date.now() - lastHeap > 5_000) {
      lastHeap = Date.now();
      await dep.sampleHeap();
    }
    const s = await receiver.ask({ type: 'stats' }, 'stats');
    if (dep && s.unique < expected && Date.now() - lastFailedCheck > 1_000) {
      lastFailedCheck = Date.now();
      const byOutcome = await failedFirstAttempts(dep);
      failed = Object.entries(byOutcome).reduce(
        (a, [outcome, v]) => a + (hangingTimeouts && outcome === 'timeout' ? 0 : v),
        0,
      );
    }
    if (s.unique !== last) {
      last = s.unique;
      lastChange = Date.now();
    }
    const rss = dep
      ? Object.entries(dep.sampler.result())
          .map(([k, v]) => `${k} ${v.rssMb} MB`)
          .join(', ')
      : '';
    const rate = s.firstAt && s.lastAt > s.firstAt ? (s.unique / (s.lastAt - s.firstAt)) * 1000 : 0;
    progress(
      `${label}: ${n(s.unique)}/${n(expected)} delivered (${n(rate)}/s)${rss ? ` · ${rss}` : ''}${extra ? ` · ${extra(s)}` : ''}`,
    );
    if (s.unique + failed >= expected) return s;
    if (Date.now() - lastChange > stallMs) {
      say(`${label}: no progress for ${stallMs / 1000} s; stopping at ${n(s.unique)}/${n(expected)}`);
      return s;
    }
    await sleep(250);
  }
}

async function phase(name, behaviour = {}) {
  await receiver.ask(
    { type: 'phase', name, latencyMs: P.latencyMs, failureRate: P.failureRate, hang: [], ...behaviour },
    'phase-ok',
  );
}

/** After the last delivery: how long until the sender's delivery-record buffer is empty. */
async function recordsDrain(sender) {
  const started = Date.now();
  let pendingAtEnd = await scrape(sender.port, 'hookstream_delivery_records_pending');
  const peakPending = pendingAtEnd;
  while (pendingAtEnd > 0 && Date.now() - started < Number(opt['drain-timeout']) * 1000) {
    await sleep(250);
    pendingAtEnd = await scrape(sender.port, 'hookstream_delivery_records_pending');
    progress(`    delivery records still pending: ${n(pendingAtEnd ?? 0)}`);
  }
  return { pendingAtLastDelivery: peakPending, pendingAtEnd, drainS: (Date.now() - started) / 1000 };
}

const cpuOf = (procs) => Object.values(procs).reduce((a, p) => a + p.cpuS, 0);
const peakOf = (procs) => Math.max(0, ...Object.values(procs).map((p) => p.peakMb));

// ─── scenarios ────────────────────────────────────────────────────────────────────────────────

const results = { scenarios: {}, series: {} };
let badSignatures = 0;
const sharedEvents = `bench-${RUN}.events`;

/** A ceiling: `client` (undici, node-http, got) → receivers directly, no Kafka, no MongoDB. */
async function ceiling(key, client) {
  say(`${key}: ${client} → receivers directly, ${n(P.events * P.fanout)} requests, window ${P.concurrency}`);
  await phase(key);
  const driver = forkHelper('bench/ceiling.mjs', path.join(WORK, `${key}.log`), profArgs(key));
  cleanups.push(() => driver.stop());
  const sampler = new Sampler();
  sampler.add('driver', driver.pid);
  acct.add(`pid${driver.pid}`, driver.pid);
  sampler.start();
  const pending = driver.ask(
    {
      type: 'run',
      client,
      runId: `${RUN}${key}`,
      count: P.events,
      concurrency: P.concurrency,
      webhooks,
      envCount: ENV_COUNT,
      timeoutMs: P.timeoutMs,
    },
    'done',
  );
  const watch = waitDelivered(key, P.events * P.fanout, null, { stallMs: 30_000 });
  const done = await pending;
  await watch;
  sampler.stop();
  await driver.stop();
  const rep = await receiver.ask({ type: 'report' }, 'report');
  badSignatures += rep.badSignatures;
  return {
    client,
    per_s: round(rep.sustainedPerS),
    deliveries: rep.unique,
    failed: done.failed,
    seconds: round(done.elapsedMs / 1000, 1),
    driver_cpu_s: sampler.result().driver.cpuS,
    rss_mb: sampler.result().driver.peakMb,
    receiver_connections: rep.connections,
    receiver_max_concurrent: rep.maxConcurrent,
    receiver_max_concurrent_per_webhook: rep.maxConcurrentPerWebhook,
    request_latency_ms: rep.latency,
  };
}

let eventsProduced = false;
async function ensureSharedEvents() {
  if (eventsProduced) return;
  await createTopic(sharedEvents);
  await produceAll(sharedEvents, P.events, (i) => eventMessage(i), 'events');
  eventsProduced = true;
}

/** (a) and (c): hookstream drains N pre-produced events; (c) with some webhooks hanging. */
async function fullSpeed(name, hang, senderRoot = null) {
  await ensureSharedEvents();
  const label = `(${name})`;
  const expected = expectedDeliveries(P.events, hang);
  say(
    `${label} router + sender on ${n(P.events)} events → ${n(expected)} deliveries${hang.size ? ` to answering webhooks; ${hang.size} of ${P.webhooks} webhooks hang` : ''}`,
  );
  const dep = await deployment(name, { eventTopic: sharedEvents });
  await phase(name, { hang: [...hang] });
  dep.sampler.start();
  const sender = await dep.start('sender', ['sender', '--tier', 'deliveries'], senderRoot);
  await dep.start('router', ['router']);
  await dep.ready();
  const s = await waitDelivered(label, expected, dep, {
    extra: hang.size ? (st) => `${n(st.hangingOpen)} hanging` : undefined,
    hangingTimeouts: hang.size > 0,
  });
  const failures = await failedFirstAttempts(dep);
  const drain =
    P.records === 'full' || P.failureRate > 0
      ? await recordsDrain(sender)
      : { pendingAtLastDelivery: 0, drainS: 0 };
  dep.sampler.sample();
  const procs = dep.sampler.result();
  const rep = await receiver.ask({ type: 'report' }, 'report');
  badSignatures += rep.badSignatures;
  const records = await dep.db
    .collection('deliveries')
    .estimatedDocumentCount()
    .catch(() => null);
  await dep.destroy();
  const perS = rep.sustainedPerS;
  const out = {
    per_s: round(perS),
    deliveries: s.unique,
    expected,
    cpu_s: round(cpuOf(procs), 1),
    cpu_us_per_delivery: round((cpuOf(procs) / Math.max(1, s.unique)) * 1e6),
    rss_mb: peakOf(procs),
    processes: procs,
    heap: dep.heap,
    receiver_connections: rep.connections,
    receiver_max_concurrent: rep.maxConcurrent,
    receiver_max_concurrent_per_webhook: rep.maxConcurrentPerWebhook,
    first_attempt_failures: failures,
    records_pending_at_last_delivery: drain.pendingAtLastDelivery,
    records_drain_s: round(drain.drainS, 1),
    records_unwritten: drain.pendingAtEnd ?? 0,
    delivery_records: records,
  };
  if (hang.size) {
    out.hanging_webhooks = hang.size;
    out.hanging_requests = rep.hangingRequests;
    out.timeout_ms = P.timeoutMs;
  }
  results.series[name] = rep.series;
  return out;
}

/** The naive baseline; `latencyMs` overrides the receiver's latency (naive0: 0 ms, for reference). */
async function naive(key = 'naive', latencyMs = P.latencyMs) {
  await ensureSharedEvents();
  say(
    `${key}: kafkajs eachMessage + HMAC + sequential got, receiver latency ${latencyMs} ms, up to ${P.naiveSeconds} s`,
  );
  await phase(key, { latencyMs });
  const driver = forkHelper('bench/naive.mjs', path.join(WORK, 'naive.log'), profArgs('naive'));
  cleanups.push(() => driver.stop());
  const sampler = new Sampler();
  sampler.add('naive', driver.pid);
  acct.add(`pid${driver.pid}`, driver.pid);
  sampler.start();
  const pending = driver.ask(
    {
      type: 'run',
      brokers: KAFKA_BROKERS,
      topic: sharedEvents,
      groupId: `bench-${RUN}-${key}`,
      webhooks,
      maxEvents: P.events,
      maxSeconds: P.naiveSeconds,
    },
    'done',
  );
  let done = null;
  void pending.then((d) => (done = d));
  while (!done) {
    const st = await receiver.ask({ type: 'stats' }, 'stats');
    progress(`${key}: ${n(st.unique)} delivered`);
    await sleep(250);
  }
  sampler.stop();
  await driver.stop();
  const rep = await receiver.ask({ type: 'report' }, 'report');
  badSignatures += rep.badSignatures;
  if (key === 'naive') results.series.naive = rep.series;
  results.scenarios[key] = {
    receiver_latency_ms: latencyMs,
    per_s: round(rep.sustainedPerS),
    deliveries: rep.unique,
    seconds: round(done.elapsedMs / 1000, 1),
    cpu_s: sampler.result().naive.cpuS,
  };
}

/** (b): events produced at a fixed rate while hookstream runs; end-to-end latency. */
async function paced() {
  const rate =
    opt.rate !== undefined ? Number(opt.rate) : Math.max(1, Math.round(P.pacedDeliveries / P.fanout));
  const count = Math.min(P.events, Math.round(rate * P.pacedSeconds));
  const expected = expectedDeliveries(count);
  say(`(b) ${n(rate)} events/s (${n(rate * P.fanout)} deliveries/s) for ${n(count)} events`);
  const dep = await deployment('b', {});
  await createTopic(`${dep.prefix}.events`);
  dep.sampler.start();
  await dep.start('sender', ['sender', '--tier', 'deliveries']);
  await dep.start('router', ['router']);
  await dep.ready();
  // --tap (diagnostics): time from created_at until each job is readable on the deliveries topic.
  const tapped = [];
  let tap = null;
  if (opt.tap) {
    tap = kafka.consumer({ groupId: `${dep.prefix}-tap`, maxWaitTimeInMs: 10 });
    await tap.connect();
    await tap.subscribe({ topic: dep.names.deliveries, fromBeginning: true });
    await tap.run({
      eachMessage: async ({ message }) => {
        const m = /"created_at":"([^"]+)"/.exec(message.value.toString('latin1', 0, 600));
        if (m) tapped.push(Date.now() - Date.parse(m[1]));
      },
    });
  }
  const topic = `${dep.prefix}.events`;
  /** Produces events `from`…`to-1` at `rate` per second, each stamped with its send time. */
  const pace = (from, to, label) =>
    withProducer(async (producer) => {
      const started = Date.now();
      let sent = from;
      let inFlight = 0;
      let failure = null;
      while (sent < to) {
        if (failure) throw failure;
        const due = Math.min(to, from + Math.floor(((Date.now() - started) / 1000) * rate));
        if (due > sent && inFlight < 32) {
          const messages = [];
          const now = Date.now();
          for (let i = sent; i < due; i++) messages.push(eventMessage(i, now));
          sent = due;
          inFlight++;
          send(producer, { topic, acks: -1, messages })
            .catch((err) => (failure = err))
            .finally(() => inFlight--);
        }
        progress(`${label} produced ${n(sent - from)}/${n(to - from)}`);
        await sleep(5);
      }
      while (inFlight > 0) await sleep(5);
      return (Date.now() - started) / 1000;
    });
  // Warm-up at the same rate, not measured: connections, JIT, caches — what a long-running
  // deployment has already done.
  const warm = Math.round(rate * P.warmupS);
  if (warm > 0) {
    await phase('b-warmup');
    await pace(count, count + warm, '(b) warm-up');
    await waitDelivered('(b) warm-up', expectedDeliveries(warm), dep, { stallMs: 30_000 });
  }
  await phase('b');
  tapped.length = 0;
  const producedS = await pace(0, count, '(b)');
  await waitDelivered('(b)', expected, dep);
  const failures = await failedFirstAttempts(dep);
  if (tap) {
    await tap.disconnect();
    const { percentiles } = await import('./lib/stats.mjs');
    say(`(b) tap: created_at → readable on ${dep.names.deliveries}: ${JSON.stringify(percentiles(tapped))}`);
  }
  dep.sampler.sample();
  const procs = dep.sampler.result();
  const rep = await receiver.ask({ type: 'report', bucketMs: 1000 }, 'report');
  badSignatures += rep.badSignatures;
  await dep.destroy();
  results.series.b = rep.series;
  return {
    target_rate: rate * P.fanout,
    warmup_s: P.warmupS,
    first_attempt_failures: failures,
    per_s: round(rep.sustainedPerS),
    seconds: round(producedS, 1),
    deliveries: rep.unique,
    expected,
    p50_ms: rep.latency.p50,
    p95_ms: rep.latency.p95,
    p99_ms: rep.latency.p99,
    max_ms: rep.latency.max,
    cpu_s: round(cpuOf(procs), 1),
    rss_mb: peakOf(procs),
    processes: procs,
  };
}

/** (d): a backlog of jobs parked in the 1h tier; the 1h sender must pause, not buffer. */
async function backlog() {
  const dep = await deployment('d', { tiers: '1m,10m,1h,6h' });
  const tier = dep.names.retry.find((r) => r.tier.name === '1h');
  const now = Date.now();
  say(`(d) ${n(P.backlog)} jobs parked in ${tier.topic} (due in 1 h), then the 1h sender for ${P.holdS} s`);
  await phase('d');
  await produceAll(
    tier.topic,
    P.backlog,
    (i) => {
      const w = webhooks[i % webhooks.length];
      const ev = makeEvent(RUN, i, ENV_COUNT, now);
      const eventId = `${ev.event_id}d`;
      return {
        key: w.id,
        value: encodeJob({
          delivery_id: deliveryId(eventId, w.id),
          event_id: eventId,
          event_type: ev.event_type,
          environment: w.environment,
          webhook_id: w.id,
          attempt: 3,
          first_attempt_at: now - 660_000,
          due_at: Date.now() + 3_600_000,
          created_at: ev.created_at,
          body: JSON.stringify(ev),
        }),
        timestamp: String(Date.now()),
      };
    },
    '(d) backlog',
  );
  dep.sampler.start(250);
  const sender = await dep.start('sender', ['sender', '--tier', '1h']);
  await dep.ready();
  const readyAt = Date.now();
  dep.sampler.sample();
  const atReady = dep.sampler.result().sender.rssMb;
  while (Date.now() - readyAt < P.holdS * 1000) {
    const r = dep.sampler.result().sender;
    progress(
      `(d) holding: RSS ${r.rssMb} MB (peak ${r.peakMb} MB), ${((Date.now() - readyAt) / 1000).toFixed(0)}/${P.holdS} s`,
    );
    await sleep(500);
  }
  const paused = await scrape(sender.port, 'hookstream_paused_partitions');
  dep.sampler.sample();
  const procs = dep.sampler.result();
  const series = dep.sampler.series.map((p) => ({ t: p.t, rss_mb: p.sender }));
  const st = await receiver.ask({ type: 'stats' }, 'stats');
  await dep.destroy();
  return {
    backlog: P.backlog,
    hold_s: P.holdS,
    rss_mb: procs.sender.peakMb,
    rss_at_ready_mb: Math.round(atReady),
    rss_at_end_mb: procs.sender.rssMb,
    cpu_s: procs.sender.cpuS,
    paused_partitions: paused,
    premature_deliveries: st.requests,
    processes: procs,
    rss_series: series,
  };
}

// ─── the run ──────────────────────────────────────────────────────────────────────────────────

/** Kafka's and FerretDB's pids from scripts/stack.sh, to report the CPU the services used. */
function stackPids() {
  const dir = process.env.HOOKSTREAM_STACK_DIR ?? path.join(repo, '.stack');
  const read = (f) => {
    try {
      return Number(readFileSync(path.join(dir, 'run', f), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };
  return { kafka: read('kafka.pid'), ferretdb: read('ferretdb.pid') };
}

const startedAt = new Date();
const stackSampler = new Sampler();
for (const [name, pid] of Object.entries(stackPids())) if (pid) stackSampler.add(name, pid);
stackSampler.start(1_000);
/**
 * Runs one scenario; a failure is recorded in the results and the run goes on. Before it starts,
 * waits (up to --quiet-wait seconds) for the machine to be quiet; afterwards records how much CPU
 * other processes on the machine used meanwhile (`others_cpu_share`, of all cores): the noise.
 */
async function scenario(key, fn, done) {
  if (!wanted.has(key) || interrupted) return;
  try {
    const stackPidList = Object.values(stackPids()).filter(Boolean);
    const ours = () => [process.pid, receiver.pid, ...stackPidList];
    if (Number(opt['quiet-wait']) > 0) {
      progress(`${key}: waiting for the machine to be quiet…`, true);
      const share = await waitQuiet(ours(), {
        maxMs: Number(opt['quiet-wait']) * 1000,
        cores: os.cpus().length,
      });
      if (share >= 0.15)
        say(`${key}: other processes still use ${Math.round(share * 100)} % of the CPU; going ahead`);
    }
    const t0 = Date.now();
    const cpu0 = machineCpu();
    acct = new Sampler();
    acct.add('bench', process.pid);
    acct.add('receiver', receiver.pid);
    for (const [name, pid] of Object.entries(stackPids())) if (pid) acct.add(name, pid);
    acct.start(500);
    const r = await fn();
    acct.stop();
    if (r) results.scenarios[key] = r;
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = machineCpu();
    const busy = cpu1.busy - cpu0.busy;
    const oursCpu = Object.values(acct.result()).reduce((a, v) => a + v.cpuS, 0);
    results.scenarios[key].machine_busy_share = round(busy / (elapsed * os.cpus().length), 2);
    results.scenarios[key].others_cpu_share = round(
      Math.max(0, busy - oursCpu) / (elapsed * os.cpus().length),
      2,
    );
    // CPU time the hypervisor gave to other virtual machines: noise no process list shows.
    results.scenarios[key].steal_share = round((cpu1.steal - cpu0.steal) / (elapsed * os.cpus().length), 3);
    const a = acct.result();
    results.scenarios[key].services_cpu_s = {
      kafka: a.kafka?.cpuS ?? null,
      ferretdb: a.ferretdb?.cpuS ?? null,
      receiver: a.receiver?.cpuS ?? null,
    };
    say(done(results.scenarios[key]));
  } catch (err) {
    say(`${key}: FAILED: ${err?.stack ?? err}`);
    results.scenarios[key] = { error: String(err?.message ?? err) };
    failures++;
  }
}
let failures = 0;
/** CPU accounting of every process the current scenario involves (to tell our CPU from others'). */
let acct = new Sampler();

try {
  await scenario(
    'ceiling',
    () => ceiling('ceiling', 'undici'),
    (r) => `ceiling (undici): ${n(r.per_s)} deliveries/s`,
  );
  await scenario(
    'node_http',
    () => ceiling('node_http', 'node-http'),
    (r) => `node:http: ${n(r.per_s)} deliveries/s`,
  );
  await scenario(
    'got',
    () => ceiling('got', 'got'),
    (r) => `got: ${n(r.per_s)} deliveries/s`,
  );
  await scenario(
    'a',
    () => fullSpeed('a', new Set()),
    (r) => `(a) ${n(r.per_s)} deliveries/s`,
  );
  await scenario(
    'today',
    () => fullSpeed('today', new Set(), path.resolve(opt.today)),
    (r) => `(a) with today's build: ${n(r.per_s)} deliveries/s`,
  );
  await scenario(
    'naive',
    () => naive('naive', P.latencyMs),
    (r) => `naive: ${n(r.per_s)} deliveries/s`,
  );
  await scenario(
    'naive0',
    () => naive('naive0', 0),
    (r) => `naive, 0 ms receiver: ${n(r.per_s)} deliveries/s`,
  );
  await scenario('b', paced, (r) => `(b) p50 ${r.p50_ms} ms, p95 ${r.p95_ms} ms, p99 ${r.p99_ms} ms`);
  await scenario(
    'c',
    () => fullSpeed('c', hangingSet),
    (r) => `(c) ${n(r.per_s)} healthy deliveries/s`,
  );
  await scenario('d', backlog, (r) => `(d) peak RSS ${r.rss_mb} MB`);
} finally {
  stackSampler.stop();
  if (!opt.keep) await admin.deleteTopics({ topics: [sharedEvents] }).catch(() => {});
  await cleanupAll();
}

// ─── ratios, files, summary ───────────────────────────────────────────────────────────────────

const s = results.scenarios;
const div = (a, b) => (a && b ? a / b : null);
for (const k of ['a', 'b', 'c', 'today', 'naive', 'naive0', 'node_http', 'got'])
  if (s[k]) s[k].ratio_to_ceiling = round(div(s[k].per_s, s.ceiling?.per_s), 3);
if (s.a) s.a.ratio_to_today = round(div(s.a.per_s, s.today?.per_s), 2);
if (s.a) s.a.ratio_to_naive = round(div(s.a.per_s, s.naive?.per_s), 1);
if (s.a) s.a.ratio_to_naive0 = round(div(s.a.per_s, s.naive0?.per_s), 2);
if (s.c) s.c.ratio_to_a = round(div(s.c.per_s, s.a?.per_s), 3);

const cpu = os.cpus();
const report = {
  deliveries_per_s: s.a?.per_s ?? null,
  ceiling_per_s: s.ceiling?.per_s ?? null,
  naive_per_s: s.naive?.per_s ?? null,
  p50_ms: s.b?.p50_ms ?? null,
  p95_ms: s.b?.p95_ms ?? null,
  p99_ms: s.b?.p99_ms ?? null,
  rss_mb: Math.max(0, ...['a', 'b', 'c', 'd'].map((k) => s[k]?.rss_mb ?? 0)) || null,
  scenarios: s,
  params: {
    events: P.events,
    webhooks: P.webhooks,
    fanout: P.fanout,
    concurrency: P.concurrency,
    backlog: P.backlog,
    records: P.records,
    partitions: P.partitions,
    latency_ms: P.latencyMs,
    failure_rate: P.failureRate,
    paced_deliveries: P.pacedDeliveries,
    today: opt.today ?? null,
    timeout_ms: P.timeoutMs,
    node_args: opt['node-args'] || null,
    settings: SETTINGS_FROM_ENV,
  },
  services_cpu_s: stackSampler.result(),
  bad_signatures: badSignatures,
  machine: {
    cpus: cpu.length,
    cpu_model: cpu[0]?.model.trim() ?? 'unknown',
    memory_gb: os.totalmem() / 2 ** 30,
    node: process.version,
    load_avg: os.loadavg().map((v) => round(v, 2)),
  },
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  started_at: startedAt.toISOString(),
  finished_at: new Date().toISOString(),
  chart: 'latest.svg',
  logs: WORK,
  series: results.series,
};
const { series, ...forJson } = report;
const jsonText = `${JSON.stringify({ ...forJson, series }, null, 2)}\n`;
writeFileSync(path.join(opt.out, 'latest.json'), jsonText);
writeFileSync(path.join(opt.out, 'latest.md'), markdown(report));
writeFileSync(path.join(opt.out, 'latest.svg'), svg(report));
if (opt.json) writeFileSync(opt.json, jsonText);
process.stdout.write(summary(report));
process.stdout.write(
  `files: ${path.join(opt.out, 'latest.md')}, ${path.join(opt.out, 'latest.svg')}, ${path.join(opt.out, 'latest.json')}${opt.json ? `, ${opt.json}` : ''}\nlogs: ${WORK}\n`,
);
process.exit(failures > 0 ? 1 : 0);
