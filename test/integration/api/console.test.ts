import { describe, expect, it } from 'vitest';
import { type DeliveryDoc, deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, webhookInput } from './support.js';

function record(webhookId: string, environment: string, over: Partial<DeliveryDoc>): DeliveryDoc {
  const now = new Date();
  return {
    _id: `dlv_${Math.random().toString(36).slice(2)}`,
    webhook_id: webhookId,
    environment,
    event_id: 'evt_1',
    event_type: 'vendor.created',
    status: 'succeeded',
    attempts: 1,
    next_attempt_at: null,
    failure_reason: null,
    event_created_at: now,
    created_at: now,
    updated_at: now,
    last_attempts: [],
    body: '{}',
    ...over,
  };
}

const attempt = (n: number, at: Date, outcome: 'success' | 'http_5xx') => ({
  attempt: n,
  at,
  tier: n === 1 ? 'deliveries' : '1m',
  outcome,
  status_code: outcome === 'success' ? 200 : 503,
  latency_ms: 12,
  error: outcome === 'success' ? null : 'HTTP 503',
});

describe('console routes (real HTTP, MongoDB and Kafka)', () => {
  const r = resources();

  it('shows session, environments, 24 h health, replay preview and rates; scoped keys see their own only', async () => {
    const api = await startTestApi(r, { consume: false });
    const [a, b] = [envName(), envName()];
    const wa = (await api.call('POST', `/v1/environments/${a}/webhooks`, { body: webhookInput() })).json;
    await api.call('POST', `/v1/environments/${b}/webhooks`, { body: webhookInput() });
    const now = Date.now();
    const old = new Date(now - 2 * 86_400_000);
    await deliveriesCollection(api.db).insertMany([
      record(wa.id, a, {
        created_at: new Date(now - 60_000),
        last_attempts: [
          attempt(1, new Date(now - 60_000), 'http_5xx'),
          attempt(2, new Date(now - 30_000), 'success'),
        ],
        attempts: 2,
      }),
      record(wa.id, a, {
        status: 'retrying',
        created_at: new Date(now - 50_000),
        next_attempt_at: new Date(now + 40_000),
        last_attempts: [attempt(1, new Date(now - 50_000), 'http_5xx')],
      }),
      record(wa.id, a, { status: 'failed', created_at: new Date(now - 10_000), last_attempts: [] }),
      record(wa.id, a, { created_at: old, updated_at: old, last_attempts: [attempt(1, old, 'success')] }),
    ]);

    expect((await api.call('GET', '/v1/session')).json).toEqual({ kind: 'admin', environment: null });
    const envs = (await api.call('GET', '/v1/environments')).json.data;
    expect(envs).toEqual(
      expect.arrayContaining([
        { name: a, webhooks: 1 },
        { name: b, webhooks: 1 },
      ]),
    );

    const health = await api.call('GET', `/v1/environments/${a}/health`);
    expect(health.status).toBe(200);
    expect(health.json.data).toHaveLength(1);
    expect(health.json.data[0].webhook.id).toBe(wa.id);
    expect(health.json.data[0].health).toEqual({
      attempts: 3,
      successes: 1,
      success_rate: 1 / 3,
      last_status: 'failed',
      last_delivery_at: expect.any(String),
      next_retry_at: new Date(now + 40_000).toISOString(),
    });

    const since = new Date(now - 3_600_000).toISOString();
    const preview = await api.call(
      'GET',
      `/v1/environments/${a}/webhooks/${wa.id}/replay-preview?since=${since}`,
    );
    expect(preview.json).toMatchObject({ failed: 1, max_per_replay: 10_000, since });

    const rates = await api.call('GET', '/v1/ops/rates');
    expect(rates.status).toBe(200);
    expect(rates.json.buckets).toHaveLength(60);
    expect(rates.json.totals).toMatchObject({ attempts: 3, failures: 2, dead_lettered: 1 });
    expect((await api.call('GET', '/v1/ops/lag')).status).toBe(503);

    const key = (await api.call('POST', '/v1/api-keys', { body: { environment: a } })).json.key;
    expect((await api.call('GET', '/v1/session', { key })).json).toEqual({
      kind: 'environment',
      environment: a,
    });
    expect((await api.call('GET', '/v1/environments', { key })).json.data).toEqual([
      { name: a, webhooks: 1 },
    ]);
    expect((await api.call('GET', `/v1/environments/${b}/health`, { key })).status).toBe(404);
    expect((await api.call('GET', '/v1/ops/rates', { key })).status).toBe(403);
    expect((await api.call('GET', '/v1/session', { key: null })).status).toBe(401);

    const doc = (await api.call('GET', '/openapi.json', { key: null })).json;
    for (const path of [
      '/v1/session',
      '/v1/environments',
      '/v1/environments/{env}/health',
      '/v1/ops/lag',
      '/v1/ops/rates',
    ]) {
      expect(doc.paths[path]?.get?.responses?.['200']).toBeDefined();
    }
  });
});
