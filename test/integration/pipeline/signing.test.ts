import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verify, verifyStandardWebhook } from '../../../src/core/signing.js';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';

describe('signatures and receiver hints, end to end', () => {
  const r = resources();

  it('signs with every valid secret during a rotation, and Standard Webhooks headers on opt-in', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    const fresh = 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ=';
    const old = 'whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZC1zZWNyZXQ=';
    await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/rotating`,
      event_types: ['*'],
      secrets: [fresh, old],
      standard_webhooks: true,
    });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'workflow.checkpoint')]);
    await waitFor(() => rx.received.length === 1);
    const req = rx.received[0]!;
    const header = req.headers['coverbase-signature'] as string;
    const m = /^t=(\d+),v1=([0-9a-f]{64}),v1=([0-9a-f]{64})$/.exec(header);
    expect(m).not.toBeNull();
    const mac = (s: string) => createHmac('sha256', s).update(`${m![1]}.${req.body}`).digest('hex');
    expect([m![2], m![3]]).toEqual([mac(fresh), mac(old)]);
    const nowSec = Math.floor(Date.now() / 1000);
    // A receiver that only knows one of the two secrets accepts either way.
    expect(verify({ header, body: req.body, secrets: old, nowSec }).timestampSec).toBe(Number(m![1]));
    expect(verify({ header, body: req.body, secrets: fresh, nowSec }).timestampSec).toBe(Number(m![1]));

    expect(req.headers['webhook-id']).toBe(req.headers['coverbase-delivery-id']);
    expect(req.headers['webhook-timestamp']).toBe(m![1]);
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const sw = verifyStandardWebhook({
      headers: {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      },
      body: req.body,
      secrets: [old],
      nowSec,
    });
    expect(sw.msgId).toBe(req.headers['webhook-id']);
  });

  it('honours Retry-After on 429 within the tiers', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(
      await new TestReceiver((_req, n) =>
        n === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 },
      ).start(),
      (x) => x.close(),
    );
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/busy`, event_types: ['*'] });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
    await waitFor(() => rx.received.length === 2, { timeout: 20_000 });
    // Tiers 1s,2s,4s: Retry-After 3 s picks the smallest tier that is at least 3 s: 4s.
    expect(rx.received[1]!.at - rx.received[0]!.at).toBeGreaterThanOrEqual(4_000);
    expect(rx.received[1]!.headers['coverbase-delivery-attempt']).toBe('2');
  }, 40_000);
});
