import { describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../../src/core/attempt.js';
import type { DeliveryJob } from '../../../src/core/job.js';
import { parseRetryPolicy } from '../../../src/core/retry-policy.js';
import { verify } from '../../../src/core/signing.js';
import { type AttemptReport, type DeliverDeps, deliver } from '../../../src/sender/deliver.js';
import type { SendableWebhook } from '../../../src/sender/webhook-cache.js';
import { T0, testJob } from '../support/job.js';

const job: DeliveryJob = testJob;
const webhook: SendableWebhook = {
  id: 'wh_1',
  url: 'https://example.test/hook',
  enabled: true,
  deleted: false,
  standardWebhooks: false,
  secrets: ['whsec_current', 'whsec_old'],
  customHeaders: {},
  rateLimitPerS: null,
};

function fakes(result: Partial<AttemptResult> = {}, w: SendableWebhook | null | 'unreadable' = webhook) {
  const posts: { url: string; headers: Record<string, string>; body: string }[] = [];
  const reports: AttemptReport[] = [];
  let now = T0;
  const deps: DeliverDeps = {
    webhooks: { get: () => (w === 'unreadable' ? undefined : w) },
    http: {
      post: async (url, headers, body) => {
        posts.push({ url, headers, body });
        now += 25;
        return {
          outcome: 'success',
          statusCode: 200,
          latencyMs: 25,
          retryAfter: null,
          error: null,
          ...result,
        };
      },
    },
    clock: () => now,
    policy: parseRetryPolicy(),
    tier: 'deliveries',
    headerPrefix: 'Coverbase',
    observers: [(r) => reports.push(r)],
  };
  return { deps, posts, reports };
}
const signal = new AbortController().signal;

describe('deliver', () => {
  it("sends the webhook's custom headers alongside its own, which they never replace", async () => {
    const custom = { 'X-Tenant': 'acme', 'Coverbase-Event-Id': 'forged', 'content-type': 'text/plain' };
    const { deps, posts } = fakes({}, { ...webhook, customHeaders: custom });
    await deliver(job, deps, signal);
    expect(posts[0]!.headers).toMatchObject({
      'X-Tenant': 'acme',
      'Coverbase-Event-Id': 'evt_1',
      'content-type': 'application/json',
    });
  });

  it('records which options applied: the filter, header names (no values), the limit, time throttled', async () => {
    const { deps } = fakes({}, { ...webhook, customHeaders: { 'X-Key': 'secretish' }, rateLimitPerS: 5 });
    const decision = await deliver({ ...job, filter_applied: true, throttled_ms: 120 }, deps, signal);
    expect(decision.record).toMatchObject({
      options_applied: { filter: true, headers: ['X-Key'], rate_limit_per_s: 5 },
      throttled_ms: 120,
    });
    expect(JSON.stringify(decision.record)).not.toContain('secretish');
  });

  it('signs and POSTs the exact body with the documented headers, then decides', async () => {
    const { deps, posts, reports } = fakes();
    const decision = await deliver(job, deps, signal);
    expect(decision.kind).toBe('succeeded');
    expect(posts).toHaveLength(1);
    const { url, headers, body } = posts[0]!;
    expect(url).toBe(webhook.url);
    expect(body).toBe(job.body);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'Coverbase-Event-Id': 'evt_1',
      'Coverbase-Event-Type': 'vendor.created',
      'Coverbase-Delivery-Id': job.delivery_id,
      'Coverbase-Delivery-Attempt': '1',
    });
    expect(headers['Coverbase-Signature']).toMatch(/^t=1767225600,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of webhook.secrets)
      expect(() =>
        verify({ header: headers['Coverbase-Signature']!, body, secrets: [secret], nowSec: T0 / 1000 }),
      ).not.toThrow();
    expect(decision.record).toMatchObject({
      attempt: { at: new Date(T0), latency_ms: 25 },
      now: new Date(T0 + 25),
    });
    expect(reports.map((r) => r.attempt.result.outcome)).toEqual(['success']);
  });

  it('adds Standard Webhooks headers for webhooks that opted in', async () => {
    const secrets = [`whsec_${Buffer.from('k'.repeat(24)).toString('base64')}`];
    const { deps, posts } = fakes({}, { ...webhook, standardWebhooks: true, secrets });
    await deliver(job, deps, signal);
    expect(posts[0]!.headers).toMatchObject({
      'webhook-id': job.delivery_id,
      'webhook-timestamp': '1767225600',
    });
    expect(posts[0]!.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('a failure becomes a retry job for the next tier', async () => {
    const { deps } = fakes({ outcome: 'http_5xx', statusCode: 500, error: 'HTTP 500' });
    const d = await deliver(job, deps, signal);
    expect(d).toMatchObject({
      kind: 'retry',
      tier: { name: '1m' },
      job: { attempt: 2, first_attempt_at: T0 },
    });
  });

  it.each<[string, SendableWebhook | null, string]>([
    ['deleted', null, 'webhook_deleted'],
    ['disabled', { ...webhook, enabled: false }, 'webhook_disabled'],
    ['without secrets', { ...webhook, secrets: [] }, 'no_valid_secret'],
  ])('a webhook %s: no POST, no observer call, dead-letter', async (_name, w, reason) => {
    const { deps, posts, reports } = fakes({}, w);
    expect(await deliver(job, deps, signal)).toMatchObject({ kind: 'dead-letter', reason });
    expect(posts).toHaveLength(0);
    expect(reports).toHaveLength(0);
  });

  it('a webhook that cannot be read yet is a retriable error, not an attempt', async () => {
    const { deps, posts } = fakes({}, 'unreadable');
    await expect(deliver(job, deps, signal)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retriable: true,
    });
    expect(posts).toHaveLength(0);
  });

  it('waits in beforeAttempt (a rate limit, say) without it counting as an attempt', async () => {
    const { deps, posts } = fakes();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = deliver(job, { ...deps, beforeAttempt: () => gate }, signal);
    await new Promise((r) => setTimeout(r, 10));
    expect(posts).toHaveLength(0);
    release();
    const d = await pending;
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['Coverbase-Delivery-Attempt']).toBe('1');
    expect(d.record.attempts).toBe(1);
  });
});
