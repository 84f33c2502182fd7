/**
 * Rate limits on real Kafka: a webhook limited to 5/s receives 50 events with no one-second window
 * above 5 requests, and all 50 are delivered, each in one attempt (waiting is not an attempt); an
 * unlimited webhook on the same events is not slowed by it.
 */
import { describe, expect, it } from 'vitest';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { RemoteReceiver } from './remote-receiver.js';

/** The most arrivals in any half-open window [t, t + 1000 ms) starting at an arrival. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

describe('rate limit on real Kafka', () => {
  const r = resources();

  it('a 5/s webhook gets 50 events, never more than 5 in a second, all delivered; an unlimited one is not slowed', async () => {
    // Short tiers, so that jobs deferred past the hold window come back quickly.
    const p = await pipelineEnv(r, { HOOKSTREAM_RETRY_TIERS: '1s,2s', HOOKSTREAM_RETRY_BUDGET: '30s' });
    // One receiver each: the HTTP client queues requests per origin, and 50 unlimited requests to
    // a shared origin would delay (and so bunch) the limited webhook's paced ones (docs/options.md).
    const rx = r.add(await new RemoteReceiver().start(), (x) => x.close());
    const rxFree = r.add(await new RemoteReceiver().start(), (x) => x.close());
    const limited = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/limited`,
      event_types: ['vendor.*'],
      options: { rate_limit_per_s: 5 },
    });
    await insertWebhook(p.db, { environment: 'prod', url: `${rxFree.url}/free`, event_types: ['vendor.*'] });
    await startPipeline(r, p);
    const events = Array.from({ length: 50 }, (_, i) => event('prod', 'vendor.created', { n: i }));
    await publish(r, p.eventTopic, events);

    await waitFor(() => rxFree.at('/free').length >= 50, {
      timeout: 60_000,
      message: 'the unlimited webhook got 50',
    });
    await waitFor(() => new Set(rx.at('/limited').map((q) => JSON.parse(q.body).event_id)).size === 50, {
      timeout: 90_000,
      message: 'the limited webhook got all 50',
    });
    const limitedAt = rx.at('/limited').map((q) => q.at);
    const freeAt = rxFree.at('/free').map((q) => q.at);
    expect(busiestSecond(limitedAt)).toBeLessThanOrEqual(5);
    // 50 at 5/s takes about 10 s; the unlimited webhook is done before the limited one is halfway.
    const limitedSorted = [...limitedAt].sort((a, b) => a - b);
    expect(Math.max(...freeAt)).toBeLessThan(limitedSorted[24]!);

    // Waiting was never an attempt: one attempt each, all succeeded.
    await waitFor(
      async () =>
        (await deliveriesCollection(p.db).countDocuments({ webhook_id: limited.id, status: 'succeeded' })) ===
        50,
      { timeout: 30_000, message: 'the 50 records of the limited webhook' },
    );
    const records = await deliveriesCollection(p.db).find({ webhook_id: limited.id }).toArray();
    expect(records.map((d) => d.attempts)).toEqual(Array(50).fill(1));
    expect(records.every((d) => d.options_applied?.rate_limit_per_s === 5)).toBe(true);
  }, 150_000);
});
