/** Lookup and erase by event_id over the admin API, on the real MongoDB-protocol server. */
import { describe, expect, it } from 'vitest';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, webhookInput } from '../api/support.js';
import { deliveryRecord, insertDeliveries } from './support.js';

describe('events API', () => {
  const r = resources();

  async function setup() {
    const api = await startTestApi(r, { consume: false });
    const env = envName();
    const t = new Date(Date.now() - 5_000);
    const records = [
      deliveryRecord(env, 'evt-1', 'wh_a', t),
      deliveryRecord(env, 'evt-1', 'wh_b', new Date(t.getTime() + 1), {
        status: 'succeeded',
        last_attempts: [
          {
            attempt: 1,
            at: t,
            tier: 'deliveries',
            outcome: 'success',
            status_code: 200,
            latency_ms: 8,
            error: null,
            // What a sender keeps of the receiver's answer: erased with the body.
            ...({ response_excerpt: '{"customer":"Jane Doe"}' } as object),
          },
        ],
      }),
      deliveryRecord(env, 'evt-2', 'wh_a', t),
      deliveryRecord('other-env', 'evt-1', 'wh_c', t),
    ];
    await insertDeliveries(api.db, records);
    return { api, env, records };
  }

  it('lookup returns the deliveries of one event across two webhooks, with attempts, without bodies', async () => {
    const { api, env, records } = await setup();
    const res = await api.call('GET', `/v1/environments/${env}/events/evt-1/deliveries`);
    expect(res.status).toBe(200);
    expect(res.json.event_id).toBe('evt-1');
    expect(res.json.data.map((d: { webhook_id: string }) => d.webhook_id)).toEqual(['wh_a', 'wh_b']);
    expect(res.json.data[0]).toMatchObject({ id: records[0]!._id, status: 'retrying', attempt_count: 1 });
    expect(res.json.data[0].attempts[0]).toMatchObject({ outcome: 'http_5xx', status_code: 503 });
    expect(res.json.data[0].body).toBeUndefined();
    expect(res.text).not.toContain('personal data');

    const none = await api.call('GET', `/v1/environments/${env}/events/no-such-event/deliveries`);
    expect(none.status).toBe(200);
    expect(none.json.data).toEqual([]);
  });

  it('erase leaves no body and no response excerpt of that event in MongoDB, and says what it erased', async () => {
    const { api, env, records } = await setup();
    const res = await api.call('DELETE', `/v1/environments/${env}/events/evt-1`);
    expect(res.status).toBe(200);
    expect(res.json.deliveries).toEqual([
      { delivery_id: records[0]!._id, webhook_id: 'wh_a', body_erased: true, response_excerpts_erased: 0 },
      { delivery_id: records[1]!._id, webhook_id: 'wh_b', body_erased: true, response_excerpts_erased: 1 },
    ]);

    const col = deliveriesCollection(api.db);
    const erased = await col.find({ environment: env, event_id: 'evt-1' }).toArray();
    expect(erased).toHaveLength(2);
    for (const doc of erased) {
      expect(doc.body).toBeUndefined();
      expect(JSON.stringify(doc)).not.toMatch(/personal data|Jane Doe/);
      expect(doc.last_attempts).toHaveLength(1); // the history stays
    }
    // Other events and other environments keep theirs.
    expect((await col.findOne({ _id: records[2]!._id }))?.body).toContain('personal data');
    expect((await col.findOne({ _id: records[3]!._id }))?.body).toContain('personal data');

    // The delivery shows no body, and one of a live webhook can no longer be replayed.
    const detail = await api.call('GET', `/v1/environments/${env}/deliveries/${records[0]!._id}`);
    expect(detail.json.body).toBeNull();
    const hook = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() });
    const live = deliveryRecord(env, 'evt-3', hook.json.id, new Date(), { status: 'failed' });
    await insertDeliveries(api.db, [live]);
    expect((await api.call('DELETE', `/v1/environments/${env}/events/evt-3`)).json.deliveries).toHaveLength(
      1,
    );
    const retry = await api.call('POST', `/v1/environments/${env}/deliveries/${live._id}/retry`);
    expect(retry.status).toBe(409);

    // Idempotent: nothing more to erase.
    const again = await api.call('DELETE', `/v1/environments/${env}/events/evt-1`);
    expect(again.status).toBe(200);
    expect(again.json.deliveries.every((d: { body_erased: boolean }) => !d.body_erased)).toBe(true);
  });

  it('a key scoped to one environment sees and erases only there', async () => {
    const { api, env } = await setup();
    const minted = await api.call('POST', '/v1/api-keys', { body: { environment: env } });
    expect(minted.status).toBe(201);
    const key = minted.json.key as string;
    expect(
      (await api.call('GET', `/v1/environments/${env}/events/evt-1/deliveries`, { key })).json.data,
    ).toHaveLength(2);
    for (const [method, path] of [
      ['GET', '/v1/environments/other-env/events/evt-1/deliveries'],
      ['DELETE', '/v1/environments/other-env/events/evt-1'],
    ] as const) {
      const res = await api.call(method, path, { key });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const kept = await deliveriesCollection(api.db).findOne({ environment: 'other-env', event_id: 'evt-1' });
    expect(kept?.body).toContain('personal data');
  });

  it('refuses a malformed event id or environment with a validation error', async () => {
    const { api, env } = await setup();
    const long = 'x'.repeat(201);
    expect((await api.call('GET', `/v1/environments/${env}/events/${long}/deliveries`)).status).toBe(400);
    expect((await api.call('DELETE', '/v1/environments/Bad_Env/events/evt-1')).status).toBe(400);
    const spec = await api.call('GET', '/openapi.json', { key: null });
    expect(Object.keys(spec.json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/environments/{env}/events/{event_id}',
        '/v1/environments/{env}/events/{event_id}/deliveries',
      ]),
    );
  });
});
