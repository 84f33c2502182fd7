import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { resources, sleep, waitFor } from '../../support/helpers.js';
import {
  event,
  insertWebhook,
  pipelineEnv,
  publish,
  readTopic,
  startPipeline,
} from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';

function independentSignature(secret: string, t: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex');
}

describe('delivery pipeline on real Kafka and MongoDB', () => {
  const r = resources();

  it('delivers an event once to every matching webhook, signed, with the documented headers', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    const exact = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/exact`,
      event_types: ['vendor.created'],
    });
    const family = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/family`,
      event_types: ['vendor.*'],
    });
    const star = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/star`,
      event_types: ['*'],
    });
    await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/other-type`,
      event_types: ['assessment.started'],
    });
    await insertWebhook(p.db, { environment: 'staging', url: `${rx.url}/other-env`, event_types: ['*'] });
    await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/disabled`,
      event_types: ['*'],
      enabled: false,
    });
    await startPipeline(r, p);

    const e = event('prod', 'vendor.created', { name: 'Acme' });
    await publish(r, p.eventTopic, [e]);
    await waitFor(() => rx.received.length >= 3, { message: '3 deliveries' });
    await sleep(1_500); // anything extra would arrive by now
    expect(rx.received.map((x) => x.path).sort()).toEqual(['/exact', '/family', '/star']);

    const secrets: Record<string, string> = {
      '/exact': exact.secret,
      '/family': family.secret,
      '/star': star.secret,
    };
    const ids: Record<string, string> = { '/exact': exact.id, '/family': family.id, '/star': star.id };
    const deliveryIds = new Set<string>();
    for (const req of rx.received) {
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['coverbase-event-id']).toBe(e.event_id);
      expect(req.headers['coverbase-event-type']).toBe('vendor.created');
      expect(req.headers['coverbase-delivery-attempt']).toBe('1');
      expect(req.headers['coverbase-delivery-id']).toMatch(/^dlv_[a-z2-7]{26}$/);
      deliveryIds.add(req.headers['coverbase-delivery-id'] as string);
      const body = JSON.parse(req.body);
      expect(body).toEqual({
        event_id: e.event_id,
        event_type: e.event_type,
        environment: 'prod',
        created_at: e.created_at,
        data: e.data,
      });
      const sig = req.headers['coverbase-signature'] as string;
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
      expect(m).not.toBeNull();
      expect(Math.abs(Number(m![1]) - Date.now() / 1000)).toBeLessThan(30);
      expect(m![2]).toBe(independentSignature(secrets[req.path]!, m![1]!, req.body));
    }
    expect(deliveryIds.size).toBe(3);

    // Delivery records say succeeded, one attempt each.
    await waitFor(
      async () => (await deliveriesCollection(p.db).countDocuments({ status: 'succeeded' })) === 3,
    );
    const records = await deliveriesCollection(p.db).find({}).toArray();
    expect(records.map((d) => d.webhook_id).sort()).toEqual(Object.values(ids).sort());
    for (const d of records) {
      expect(d.attempts).toBe(1);
      expect(d.event_id).toBe(e.event_id);
      expect(d.last_attempts).toHaveLength(1);
      expect(d.last_attempts[0]).toMatchObject({
        attempt: 1,
        status_code: 200,
        outcome: 'success',
        tier: 'deliveries',
      });
    }
  });

  it('retries a receiver that fails its first 3 attempts through the tiers, never early, then succeeds', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver((_req, n) => ({ status: n <= 3 ? 500 : 200 })).start(), (x) =>
      x.close(),
    );
    await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/flaky`,
      event_types: ['vendor.created'],
    });
    await startPipeline(r, p);
    const e = event('prod', 'vendor.created');
    await publish(r, p.eventTopic, [e]);

    await waitFor(() => rx.received.length >= 4, { timeout: 30_000, message: '4 attempts' });
    await sleep(2_500);
    expect(rx.received).toHaveLength(4);
    expect(rx.received.map((x) => x.headers['coverbase-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(rx.received.map((x) => x.headers['coverbase-delivery-id'])).size).toBe(1);
    expect(new Set(rx.received.map((x) => x.headers['coverbase-event-id']))).toEqual(new Set([e.event_id]));
    const gaps = rx.received.slice(1).map((x, i) => x.at - rx.received[i]!.at);
    // Tiers 1s, 2s, 4s: each retry waits at least its tier's delay after the failed attempt.
    expect(gaps[0]).toBeGreaterThanOrEqual(1_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4_000);
    // …and not much more (the sender resumes a paused partition when its head is due).
    expect(gaps[0]).toBeLessThan(2_500);
    expect(gaps[2]).toBeLessThan(5_500);
    process.stderr.write(
      `attempt timeline (ms after attempt 1): ${rx.received.map((x) => x.at - rx.received[0]!.at).join(', ')}\n`,
    );

    const record = await waitFor(() => deliveriesCollection(p.db).findOne({ status: 'succeeded' }));
    expect(record.attempts).toBe(4);
    expect(record.last_attempts.map((a) => [a.attempt, a.tier, a.status_code])).toEqual([
      [1, 'deliveries', 500],
      [2, '1s', 500],
      [3, '2s', 500],
      [4, '4s', 200],
    ]);
  }, 60_000);

  it('stops an always-failing delivery at the budget and dead-letters it exactly once', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver(() => ({ status: 503 })).start(), (x) => x.close());
    const w = await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/down`, event_types: ['*'] });
    await startPipeline(r, p);
    const e = event('prod', 'evidence.requested');
    await publish(r, p.eventTopic, [e]);

    const dead = await readTopic(r, p.names.deadLetter, (m) => m.length >= 1, 40_000);
    expect(dead).toHaveLength(1);
    await sleep(2_000);
    const first = rx.received[0]!.at;
    const last = rx.received.at(-1)!.at;
    expect(last - first).toBeLessThanOrEqual(15_000);
    // 1s, 2s, 4s, 4s, then the largest tiers that still fit the 15 s budget.
    expect(rx.received.length).toBeGreaterThanOrEqual(5);
    expect(dead[0]!.headers['hookstream-dead-letter-reason']).toBe('budget_exhausted');
    expect(dead[0]!.headers['hookstream-last-status']).toBe('503');
    const job = JSON.parse(dead[0]!.value!.toString());
    expect(job).toMatchObject({ event_id: e.event_id, webhook_id: w.id, attempt: rx.received.length });
    expect(JSON.stringify(job)).not.toContain(w.secret);

    const record = await waitFor(() => deliveriesCollection(p.db).findOne({ status: 'failed' }));
    expect(record.failure_reason).toBe('budget_exhausted');
    expect(record.attempts).toBe(rx.received.length);
    const recheck = await readTopic(r, p.names.deadLetter, () => false, 1_500);
    expect(recheck).toHaveLength(1);
  }, 60_000);

  it('cuts a hanging receiver at the timeout and retries it', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_DELIVERY_TIMEOUT_MS: '1000' });
    const rx = r.add(await new TestReceiver((_req, n) => (n === 1 ? 'hang' : { status: 204 })).start(), (x) =>
      x.close(),
    );
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/slow`, event_types: ['*'] });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'contract.analyzed')]);

    const record = await waitFor(() => deliveriesCollection(p.db).findOne({ status: 'succeeded' }), {
      timeout: 20_000,
    });
    expect(record.attempts).toBe(2);
    expect(record.last_attempts[0]).toMatchObject({ attempt: 1, outcome: 'timeout', status_code: null });
    expect(record.last_attempts[0]!.latency_ms).toBeGreaterThanOrEqual(950);
    expect(record.last_attempts[0]!.latency_ms).toBeLessThan(3_000);
    expect(record.last_attempts[1]).toMatchObject({ attempt: 2, outcome: 'success', status_code: 204 });
  }, 40_000);

  it('disables the webhook when the receiver answers 410 Gone', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver(() => ({ status: 410 })).start(), (x) => x.close());
    const w = await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/gone`, event_types: ['*'] });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
    const dead = await readTopic(r, p.names.deadLetter, (m) => m.length >= 1);
    expect(dead[0]!.headers['hookstream-dead-letter-reason']).toBe('webhook_gone');
    const doc = await p.db.collection('webhooks').findOne({ _id: w.id as never });
    expect(doc).toMatchObject({ enabled: false, disabled_reason: 'gone' });
    expect(rx.received).toHaveLength(1);
  });
});
