import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildApiServer } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config/config.js';
import { createKafka } from '../../../src/kafka/client.js';
import { ensureApiKeyIndexes } from '../../../src/mongo/api-keys.js';
import { ensureWebhookAdminIndexes } from '../../../src/mongo/webhook-admin.js';
import { kafkaEnqueue } from '../../../src/services/enqueue.js';
import { resources, services, testLogger, uniqueName, waitFor } from '../../support/helpers.js';
import { pipelineEnv, startPipeline } from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';
import { ADMIN_KEY, call } from './support.js';

/** The v1 signatures a receiver would compute for `secret`, independently of hookstream's code. */
function v1(secret: string, t: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex');
}

function signatures(header: string | string[] | undefined): { t: string; v1: string[] } {
  const parts = String(header).split(',');
  return {
    t: parts.find((p) => p.startsWith('t='))!.slice(2),
    v1: parts.filter((p) => p.startsWith('v1=')).map((p) => p.slice(3)),
  };
}

describe('admin API with the real senders: test sends, rotation and retries reach the receiver', () => {
  const r = resources();

  it('a test send arrives signed with the secret the API returned; after rotation both secrets sign; a retry resends it', async () => {
    const p = await pipelineEnv(r);
    const config = loadConfig({ ...p.env, HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY });
    await ensureWebhookAdminIndexes(p.db);
    await ensureApiKeyIndexes(p.db);
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await startPipeline(r, p, { router: false, senders: 'deliveries' });

    const producer = createKafka({
      brokers: services().kafkaBrokers,
      clientId: uniqueName('api'),
      logger: testLogger,
    }).producer();
    await producer.connect();
    r.add(producer, (x) => x.disconnect());
    const app = buildApiServer({
      config,
      db: p.db,
      enqueue: kafkaEnqueue(producer, p.names.deliveries),
      logger: testLogger,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    r.add(app, (a) => a.close());
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const env = 'prod';

    const created = await call(base, 'POST', `/v1/environments/${env}/webhooks`, {
      body: { url: `${rx.url}/wh`, event_types: ['vendor.*'] },
    });
    expect(created.status).toBe(201);
    const wh = created.json.id as string;
    const path = `/v1/environments/${env}/webhooks/${wh}`;

    // 1. Test send, signed with the returned secret.
    const sent = await call(base, 'POST', `${path}/test`, { body: { message: 'ping' } });
    expect(sent.status).toBe(202);
    await waitFor(() => rx.at('/wh').length >= 1, { message: 'the test event reached the receiver' });
    const first = rx.at('/wh')[0]!;
    expect(first.headers['coverbase-event-type']).toBe('webhook.test');
    expect(first.headers['coverbase-event-id']).toBe(sent.json.event_id);
    expect(first.headers['coverbase-delivery-id']).toBe(sent.json.delivery_id);
    expect(JSON.parse(first.body)).toMatchObject({
      event_type: 'webhook.test',
      data: { webhook_id: wh, message: 'ping' },
    });
    const sig1 = signatures(first.headers['coverbase-signature']);
    expect(sig1.v1).toEqual([v1(created.json.secret, sig1.t, first.body)]);

    // Its delivery record is in the history.
    const history = await waitFor(async () => {
      const res = await call(base, 'GET', `${path}/deliveries?status=succeeded`);
      return res.json.data.length === 1 ? res.json.data : null;
    });
    expect(history[0]).toMatchObject({
      id: sent.json.delivery_id,
      event_type: 'webhook.test',
      attempt_count: 1,
    });
    expect(history[0].attempts[0]).toMatchObject({ status_code: 200, outcome: 'success' });

    // 2. Rotation: the next delivery carries one signature per valid secret.
    const rotated = await call(base, 'POST', `${path}/rotate-secret`);
    expect(rotated.status).toBe(200);
    // Senders cache a webhook for HOOKSTREAM_WEBHOOK_CACHE_MS (500 ms here): until that passes they
    // sign with the old secret alone, which is still valid. Send until a delivery shows both.
    const afterRotation = await waitFor(
      async () => {
        const sent2 = await call(base, 'POST', `${path}/test`);
        const got = await waitFor(() =>
          rx.at('/wh').find((x) => x.headers['coverbase-event-id'] === sent2.json.event_id),
        );
        return signatures(got.headers['coverbase-signature']).v1.length === 2 ? got : null;
      },
      { timeout: 20_000, interval: 200, message: 'a delivery signed with both secrets' },
    );
    const sig2 = signatures(afterRotation.headers['coverbase-signature']);
    expect(sig2.v1).toContain(v1(rotated.json.secret, sig2.t, afterRotation.body));
    expect(sig2.v1).toContain(v1(created.json.secret, sig2.t, afterRotation.body));

    // 3. A retry of the first delivery: same ids and bytes, the next attempt number.
    const retried = await call(
      base,
      'POST',
      `/v1/environments/${env}/deliveries/${sent.json.delivery_id}/retry`,
    );
    expect(retried.status).toBe(202);
    expect(retried.json.attempt).toBe(2);
    // At least once: attempt 1 may have arrived twice (a rebalance), so look for attempt 2 itself.
    const again = await waitFor(
      () =>
        rx
          .at('/wh')
          .find(
            (x) =>
              x.headers['coverbase-event-id'] === sent.json.event_id &&
              x.headers['coverbase-delivery-attempt'] === '2',
          ),
      { message: 'the retried delivery (attempt 2) reached the receiver' },
    );
    expect(again.headers['coverbase-delivery-id']).toBe(sent.json.delivery_id);
    expect(again.body).toBe(first.body);
  });
});
