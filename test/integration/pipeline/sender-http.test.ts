/**
 * The sender against receivers that misbehave in their bodies, on real Kafka and MongoDB: the
 * status line decides, the body is capped, one timeout cuts a body that never ends, and a 410
 * whose disable fails (MongoDB unreachable for that write) does not freeze the commits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/envelope.js';
import { encodeJob, firstJob } from '../../../src/core/job.js';
import { createRetryPolicy } from '../../../src/core/retry-policy.js';
import { createDeliveryAgent } from '../../../src/http/agent.js';
import { HttpClient } from '../../../src/http/post.js';
import { BatchingProducer } from '../../../src/kafka/batching-producer.js';
import { Budget } from '../../../src/kafka/in-flight.js';
import { kafkaTunables } from '../../../src/kafka/tunables.js';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { DeliveryRecorder } from '../../../src/sender/delivery-recorder.js';
import { Sender } from '../../../src/sender/sender.js';
import { WebhookCache } from '../../../src/sender/webhook-cache.js';
import { resources, sleep, testLogger, waitFor } from '../../support/helpers.js';
import {
  event,
  insertWebhook,
  pipelineEnv,
  publish,
  readTopic,
  startPipeline,
  TEST_SECRET_KEY,
} from '../../support/pipeline.js';

/** A receiver whose answer per path is: `/big` 200 + 100 KiB, `/gone` 410 + 70 KiB, `/endless` 200 + a body that never ends. */
async function bodyReceiver(r: ReturnType<typeof resources>) {
  const hits: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/big') return void res.end('b'.repeat(100 * 1024));
      if (path === '/gone') {
        res.statusCode = 410;
        return void res.end('g'.repeat(70 * 1024));
      }
      if (path === '/endless') {
        res.writeHead(200, { 'content-type': 'text/html' });
        const timer = setInterval(() => res.write('<p>still here</p>'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.add(server, (s) => {
    s.closeAllConnections();
    return new Promise((ok) => s.close(ok));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

describe('sender: the status line decides', () => {
  const r = resources();

  it('a 200 with a 100 KiB body is one successful attempt', async () => {
    const p = await pipelineEnv(r);
    const rx = await bodyReceiver(r);
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/big`, event_types: ['*'] });
    await startPipeline(r, p);
    const e = event('prod', 'vendor.created');
    await publish(r, p.eventTopic, [e]);
    const doc = await waitFor(() => deliveriesCollection(p.db).findOne({ event_id: e.event_id }), {
      message: 'delivery record',
    });
    expect(doc).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(doc.last_attempts).toMatchObject([{ outcome: 'success', status_code: 200 }]);
    await sleep(1_500); // a retry (1 s tier) would have arrived by now
    expect(rx.hits['/big']).toBe(1);
  });

  it('a 410 with a 70 KiB body disables the webhook', async () => {
    const p = await pipelineEnv(r);
    const rx = await bodyReceiver(r);
    const w = await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/gone`, event_types: ['*'] });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
    const dead = await readTopic(r, p.names.deadLetter, (m) => m.length >= 1);
    expect(dead[0]!.headers).toMatchObject({
      'hookstream-dead-letter-reason': 'webhook_gone',
      'hookstream-last-status': '410',
    });
    const doc = await p.db.collection('webhooks').findOne({ _id: w.id as never });
    expect(doc).toMatchObject({ enabled: false, disabled_reason: 'gone' });
    expect(rx.hits['/gone']).toBe(1);
  });

  it('a receiver whose body never ends is cut at the timeout (and its 200 counts)', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_DELIVERY_TIMEOUT_MS: '1000' });
    const rx = await bodyReceiver(r);
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/endless`, event_types: ['*'] });
    await startPipeline(r, p);
    const e = event('prod', 'vendor.created');
    await publish(r, p.eventTopic, [e]);
    const doc = await waitFor(() => deliveriesCollection(p.db).findOne({ event_id: e.event_id }), {
      message: 'delivery record',
    });
    expect(doc).toMatchObject({ status: 'succeeded', attempts: 1 });
    const latency = doc.last_attempts[0]!.latency_ms;
    expect(latency).toBeGreaterThanOrEqual(900);
    expect(latency).toBeLessThan(3_000);
    expect(rx.hits['/endless']).toBe(1);
  });
});

describe('sender: commits cannot freeze', () => {
  const r = resources();

  it('a 410 whose disable fails (MongoDB down for it) is dead-lettered and the commits move on', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const rx = await bodyReceiver(r);
    const gone = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/gone`,
      event_types: ['*'],
    });
    const fine = await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/ok`, event_types: ['*'] });

    const kafka = r.kafka();
    const producer = kafka.producer();
    await producer.connect();
    r.add(producer, (x) => x.disconnect());
    const recorder = r.add(new DeliveryRecorder(p.db, testLogger, { mode: 'full' }), (x) => x.close());
    const agent = r.add(createDeliveryAgent({ allowPrivateTargets: true }), (a) => a.close());
    let disableCalls = 0;
    const sender = new Sender({
      kafka,
      tunables: kafkaTunables({ sessionTimeoutMs: 10_000 }),
      logger: testLogger,
      tier: 'deliveries',
      topic: p.names.deliveries,
      groupId: p.names.senderGroup,
      names: p.names,
      policy: createRetryPolicy(p.config.tiers, p.config.retryBudgetMs),
      producer: new BatchingProducer(producer),
      recorder,
      webhooks: new WebhookCache(p.db, Buffer.from(TEST_SECRET_KEY, 'hex'), 500, testLogger),
      http: new HttpClient(agent, { timeoutMs: 2_000 }),
      bytes: new Budget(1 << 20),
      disableWebhook: async () => {
        disableCalls++;
        throw new Error('MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:1');
      },
      headerPrefix: 'Coverbase',
      concurrency: 8,
    });
    r.add(sender, (s) => s.close());
    await sender.start();

    const now = Date.now();
    const jobs = [gone, fine].map((w, i) => {
      const e = { ...event('prod', 'vendor.created'), event_id: `evt_${i}_${now}` } as Envelope;
      return firstJob(e, w.id, now);
    });
    await producer.send({
      topic: p.names.deliveries,
      acks: -1,
      messages: jobs.map((j) => ({ key: j.webhook_id, value: encodeJob(j), partition: 0 })),
    });

    const dead = await readTopic(r, p.names.deadLetter, (m) => m.length >= 1);
    expect(dead[0]!.headers['hookstream-dead-letter-reason']).toBe('webhook_gone');
    expect(disableCalls).toBe(1);
    const admin = await r.admin(kafka);
    await waitFor(
      async () => {
        const [t] = await admin.fetchOffsets({ groupId: p.names.senderGroup, topics: [p.names.deliveries] });
        return t!.partitions.find((x) => x.partition === 0)?.offset === '2';
      },
      { message: 'both offsets committed past the failed disable' },
    );
    const records = await deliveriesCollection(p.db).find().sort({ event_id: 1 }).toArray();
    expect(records.map((d) => [d.webhook_id, d.status, d.failure_reason])).toEqual([
      [gone.id, 'failed', 'webhook_gone'],
      [fine.id, 'succeeded', null],
    ]);
    expect(rx.hits).toEqual({ '/gone': 1, '/ok': 1 });
  });
});
