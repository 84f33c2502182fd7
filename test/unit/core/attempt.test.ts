import { describe, expect, it } from 'vitest';
import {
  type Attempt,
  type AttemptResult,
  decide,
  unsendable,
  type WebhookState,
} from '../../../src/core/attempt.js';
import type { DeliveryJob } from '../../../src/core/job.js';
import { parseRetryPolicy } from '../../../src/core/retry-policy.js';
import { T0, testJob } from '../support/job.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const policy = parseRetryPolicy();

const job: DeliveryJob = testJob;
const webhook: WebhookState = { enabled: true, deleted: false, secrets: ['whsec_x'] };

function result(
  outcome: AttemptResult['outcome'],
  statusCode: number | null,
  retryAfter: string | null = null,
) {
  return { outcome, statusCode, latencyMs: 12, retryAfter, error: outcome === 'success' ? null : 'failed' };
}
const attempt = (r: AttemptResult, tier = 'deliveries', startedAtMs = T0): Attempt => ({
  tier,
  startedAtMs,
  result: r,
});

describe('decide', () => {
  it('2xx: succeeded, recorded with the attempt', () => {
    const d = decide(job, webhook, attempt(result('success', 204)), policy, T0 + 12);
    expect(d.kind).toBe('succeeded');
    expect(d.record).toMatchObject({
      delivery_id: job.delivery_id,
      status: 'succeeded',
      attempts: 1,
      next_attempt_at: null,
      failure_reason: null,
      body: job.body,
      attempt: { attempt: 1, tier: 'deliveries', outcome: 'success', status_code: 204, latency_ms: 12 },
      now: new Date(T0 + 12),
    });
  });

  it('410: disable, then dead-letter with reason webhook_gone', () => {
    const d = decide(job, webhook, attempt(result('http_410', 410)), policy, T0);
    expect(d).toMatchObject({
      kind: 'disable-then-dead-letter',
      reason: 'webhook_gone',
      job: { first_attempt_at: T0 },
      headers: {
        'hookstream-dead-letter-reason': 'webhook_gone',
        'hookstream-last-outcome': 'http_410',
        'hookstream-last-status': '410',
      },
      record: { status: 'failed', failure_reason: 'webhook_gone', attempts: 1 },
    });
  });

  it.each([
    ['5xx', result('http_5xx', 500), '1m'],
    ['timeout', result('timeout', null), '1m'],
    ['network error', result('network', null), '1m'],
    ['connection refused', result('connection_refused', null), '1m'],
    ['4xx', result('http_4xx', 400), '1m'],
    ['forbidden target', result('forbidden_target', null), '1m'],
    ['429 with Retry-After: 120', result('http_429', 429, '120'), '10m'],
    ['503 with Retry-After: 7200', result('http_5xx', 503, '7200'), '6h'],
    ['500 with Retry-After (ignored)', result('http_5xx', 500, '7200'), '1m'],
    ['429 with Retry-After: 1 (never earlier)', result('http_429', 429, '1'), '1m'],
  ])('%s: retry in the scheduled (or Retry-After) tier', (_name, r, tier) => {
    const d = decide(job, webhook, attempt(r), policy, T0);
    expect(d.kind).toBe('retry');
    if (d.kind !== 'retry') return;
    expect(d.tier.name).toBe(tier);
    const delay = policy.tiers.find((t) => t.name === tier)!.delayMs;
    expect(d.job).toEqual({ ...job, attempt: 2, first_attempt_at: T0, due_at: T0 + delay });
    expect(d.record).toMatchObject({
      status: 'retrying',
      attempts: 1,
      next_attempt_at: new Date(T0 + delay),
      attempt: { outcome: r.outcome, status_code: r.statusCode },
    });
  });

  it('Retry-After never passes the budget', () => {
    const late = { ...job, attempt: 4, first_attempt_at: T0 };
    const now = T0 + 20 * H;
    const d = decide(
      late,
      webhook,
      attempt(result('http_429', 429, String(10 * 3600)), '1h', now),
      policy,
      now,
    );
    expect(d).toMatchObject({ kind: 'retry', tier: { name: '1h' } });
  });

  it('budget spent: dead-letter budget_exhausted after the final attempt', () => {
    const last = { ...job, attempt: 8, first_attempt_at: T0 };
    const now = T0 + 20 * H + 11 * M;
    const d = decide(last, webhook, attempt(result('http_5xx', 502), '1h', now), policy, now);
    expect(d).toMatchObject({
      kind: 'dead-letter',
      reason: 'budget_exhausted',
      headers: { 'hookstream-last-status': '502' },
      record: { status: 'failed', attempts: 8, failure_reason: 'budget_exhausted' },
    });
  });

  it('keeps the budget running from the first attempt', () => {
    const second = { ...job, attempt: 2, first_attempt_at: T0 - 23 * H - 59 * M - 30 * S };
    const d = decide(second, webhook, attempt(result('timeout', null), '1m'), policy, T0);
    expect(d).toMatchObject({ kind: 'dead-letter', reason: 'budget_exhausted' });
  });

  it.each<[string, WebhookState | null, string]>([
    ['deleted (gone from MongoDB)', null, 'webhook_deleted'],
    ['deleted (soft)', { ...webhook, deleted: true }, 'webhook_deleted'],
    ['disabled', { ...webhook, enabled: false }, 'webhook_disabled'],
    ['without a valid secret', { ...webhook, secrets: [] }, 'no_valid_secret'],
  ])('webhook %s: dead-letter without an attempt', (_name, w, reason) => {
    expect(unsendable(w)).toBe(reason);
    const retried = { ...job, attempt: 3, first_attempt_at: T0 - H };
    const d = decide(retried, w, null, policy, T0);
    expect(d).toMatchObject({
      kind: 'dead-letter',
      reason,
      job: { first_attempt_at: T0 - H },
      headers: { 'hookstream-dead-letter-reason': reason },
      record: { status: 'failed', attempts: 2, attempt: null, failure_reason: reason },
    });
    expect(Object.keys((d as { headers: object }).headers)).toEqual(['hookstream-dead-letter-reason']);
  });

  it('a sendable webhook needs an attempt', () => {
    expect(unsendable(webhook)).toBeNull();
    expect(() => decide(job, webhook, null, policy, T0)).toThrow(RangeError);
  });
});
