/**
 * The API with a Kafka that never acknowledges: test sends and retries answer 503 within the
 * enqueue timeout, leaving the record as it was; and a replay claim that stayed `pending` past its
 * TTL (its job lost) can be retried instead of answering 409 for ever.
 */
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config/config.js';
import { deliveriesCollection, ensureDeliveryIndexes } from '../../../src/mongo/deliveries.js';
import { ensureWebhookAdminIndexes } from '../../../src/mongo/webhook-admin.js';
import { ensureWebhookIndexes } from '../../../src/mongo/webhooks.js';
import { ENQUEUE_TIMEOUT_MS, kafkaEnqueue } from '../../../src/services/enqueue.js';
import { PENDING_CLAIM_TTL_MS } from '../../../src/services/replay.js';
import { resources, services, testLogger } from '../../support/helpers.js';
import {
  ADMIN_KEY,
  call,
  envName,
  SECRET_KEY_HEX,
  startTestApi,
  type TestApi,
  testLookup,
  webhookInput,
} from './support.js';

function failedDelivery(
  webhookId: string,
  environment: string,
  status: 'failed' | 'pending',
  changedAt: Date,
) {
  return {
    _id: `dlv_${envName()}`,
    webhook_id: webhookId,
    environment,
    event_id: `evt_${envName()}`,
    event_type: 'vendor.created',
    status,
    attempts: 2,
    next_attempt_at: null,
    failure_reason: status === 'failed' ? 'budget_exhausted' : null,
    event_created_at: changedAt,
    created_at: changedAt,
    updated_at: changedAt,
    last_attempts: [],
    body: '{"n":1}',
  };
}

describe('admin API with a Kafka that never acknowledges', () => {
  const r = resources('all');
  let base = '';
  let db: Awaited<ReturnType<typeof r.mongo>>['db'];
  const TIMEOUT_MS = 1_000;

  beforeAll(async () => {
    ({ db } = await r.mongo());
    await ensureWebhookIndexes(db);
    await ensureWebhookAdminIndexes(db);
    await ensureDeliveryIndexes(db);
    const config = loadConfig({
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: 'mongodb://unused/hookstream',
      HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY,
      HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
    });
    // A producer whose broker accepted the connection and then went silent.
    const silent = { send: () => new Promise<never>(() => {}) };
    const app = buildApiServer({
      config,
      db,
      enqueue: kafkaEnqueue(silent, 'hs.deliveries', TIMEOUT_MS),
      logger: testLogger,
      lookup: testLookup,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    r.add(app, (a) => a.close());
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  it('gives up after 5 s by default', () => {
    expect(ENQUEUE_TIMEOUT_MS).toBe(5_000);
  });

  it('answers a test send with 503 STORE_UNAVAILABLE once the enqueue timeout passes', async () => {
    const env = envName();
    const created = await call(base, 'POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() });
    const started = Date.now();
    const res = await call(base, 'POST', `/v1/environments/${env}/webhooks/${created.json.id}/test`);
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 4_000);
  });

  it('answers a retry with 503 and undoes its claim, so the next retry is not refused', async () => {
    const env = envName();
    const created = await call(base, 'POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() });
    const d = failedDelivery(created.json.id, env, 'failed', new Date(Date.now() - 60_000));
    await deliveriesCollection(db).insertOne(d);
    const path = `/v1/environments/${env}/deliveries/${d._id}/retry`;
    expect((await call(base, 'POST', path)).status).toBe(503);
    expect((await deliveriesCollection(db).findOne({ _id: d._id }))?.status).toBe('failed');
    expect((await call(base, 'POST', path)).status).toBe(503);
  });
});

describe('stale replay claims', () => {
  const r = resources('all');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r);
  });

  it('refuses a fresh pending claim with 409 but retries one older than the TTL', async () => {
    const env = envName();
    const created = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() });
    const fresh = failedDelivery(created.json.id, env, 'pending', new Date());
    const stale = failedDelivery(
      created.json.id,
      env,
      'pending',
      new Date(Date.now() - PENDING_CLAIM_TTL_MS - 1_000),
    );
    await deliveriesCollection(api.db).insertMany([fresh, stale]);

    const refused = await api.call('POST', `/v1/environments/${env}/deliveries/${fresh._id}/retry`);
    expect(refused.status).toBe(409);
    const retried = await api.call('POST', `/v1/environments/${env}/deliveries/${stale._id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ delivery_id: stale._id, attempt: 3 });
    await api.jobsFor((j) => j.delivery_id === stale._id);
    const record = await deliveriesCollection(api.db).findOne({ _id: stale._id });
    expect(record?.status).toBe('pending');
    expect(Date.now() - record!.updated_at.getTime()).toBeLessThan(60_000);
  });
});
