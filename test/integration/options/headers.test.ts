/**
 * Custom headers on real Kafka: sent on every attempt (the receiver fails the first one, so the
 * retry tier sends it again), beside hookstream's own headers; a stored header that collides with
 * the delivery headers is never sent; and the API refuses forbidden ones with 422 naming them.
 */
import { describe, expect, it } from 'vitest';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';
import { envName, startTestApi, webhookInput } from '../api/support.js';

describe('custom headers', () => {
  const r = resources();

  it('arrive on every attempt, first and retry, beside the signature headers', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver((_, n) => ({ status: n === 1 ? 503 : 200 })).start(), (x) =>
      x.close(),
    );
    const { id } = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/h`,
      event_types: ['vendor.*'],
      options: {
        headers: [
          { name: 'X-Gateway-Key', value: 'gw_4f1c' },
          { name: 'X-Tenant', value: 'acme corp' },
          // Stored under an earlier header prefix; collides now: the sender drops it.
          { name: 'Coverbase-Extra', value: 'x' },
        ],
      },
    });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
    await waitFor(() => rx.at('/h').length >= 2, {
      timeout: 60_000,
      message: 'the first attempt and its retry',
    });
    const attempts = rx.at('/h');
    expect(attempts.map((a) => a.headers['coverbase-delivery-attempt'])).toEqual(['1', '2']);
    for (const a of attempts) {
      expect(a.headers['x-gateway-key']).toBe('gw_4f1c');
      expect(a.headers['x-tenant']).toBe('acme corp');
      expect(a.headers['coverbase-extra']).toBeUndefined();
      expect(a.headers['coverbase-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(a.headers['content-type']).toBe('application/json');
    }
    // The record names the options that applied: header names, never values.
    await waitFor(
      async () => (await deliveriesCollection(p.db).findOne({ webhook_id: id }))?.status === 'succeeded',
      { timeout: 30_000, message: 'the record says succeeded' },
    );
    const record = await deliveriesCollection(p.db).findOne({ webhook_id: id });
    expect(record?.options_applied).toEqual({
      filter: false,
      headers: ['X-Gateway-Key', 'X-Tenant'],
      rate_limit_per_s: null,
    });
    expect(JSON.stringify(record)).not.toContain('gw_4f1c');
  });

  it('forbidden ones are refused by the API with 422 naming the header', async () => {
    const api = await startTestApi(r, { consume: false });
    const env = envName();
    for (const name of [
      'Host',
      'Content-Length',
      'Transfer-Encoding',
      'Coverbase-Signature',
      'webhook-signature',
      'traceparent',
    ]) {
      const res = await api.call('POST', `/v1/environments/${env}/webhooks`, {
        body: webhookInput({ headers: { [name]: 'v' } }),
      });
      expect(res.status, name).toBe(422);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
      expect(res.json.error.message).toContain(`headers.${name}`);
    }
  });
});
