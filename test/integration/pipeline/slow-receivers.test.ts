import { describe, expect, it } from 'vitest';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';

describe('receivers that hang', () => {
  const r = resources();

  it('do not hold up deliveries to healthy webhooks while they wait for the timeout', async () => {
    // A window of 4 that hanging attempts would fill for 8 s if they kept their slots.
    const p = await pipelineEnv(r, {
      HOOKSTREAM_SENDER_CONCURRENCY: '4',
      HOOKSTREAM_DELIVERY_TIMEOUT_MS: '8000',
    });
    const rx = r.add(
      await new TestReceiver((req) => (req.path === '/hang' ? 'hang' : { status: 200 })).start(),
      (x) => x.close(),
    );
    await insertWebhook(p.db, { environment: 'slow', url: `${rx.url}/hang`, event_types: ['*'] });
    await insertWebhook(p.db, { environment: 'fast', url: `${rx.url}/ok`, event_types: ['*'] });
    await startPipeline(r, p, { senders: 'deliveries' });

    await publish(
      r,
      p.eventTopic,
      Array.from({ length: 12 }, () => event('slow', 'vendor.created')),
    );
    await waitFor(() => rx.at('/hang').length >= 4, { message: 'the window full of hanging attempts' });
    const started = Date.now();
    await publish(
      r,
      p.eventTopic,
      Array.from({ length: 10 }, () => event('fast', 'vendor.created')),
    );
    await waitFor(() => rx.at('/ok').length >= 10, { timeout: 6_000, message: '10 healthy deliveries' });
    expect(Date.now() - started).toBeLessThan(6_000); // well before the first hanging attempt times out
    expect(rx.at('/hang').length).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
