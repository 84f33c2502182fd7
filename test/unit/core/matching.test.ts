import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/core/event-types.js';
import { type MatchableWebhook, WebhookIndex } from '../../../src/core/matching.js';

function wh(id: string, event_types: string[], environment = 'prod', enabled = true): MatchableWebhook {
  return { id, environment, event_types, enabled };
}

/** The specification, written as plainly as possible. */
function naiveMatch(webhooks: readonly MatchableWebhook[], environment: string, eventType: string): string[] {
  const subscribed = (sub: string) =>
    sub === '*' || sub === eventType || (sub.endsWith('.*') && eventType.startsWith(sub.slice(0, -1)));
  const ids = webhooks
    .filter((w) => w.enabled && w.environment === environment && w.event_types.some(subscribed))
    .map((w) => w.id);
  return [...new Set(ids)].sort();
}

describe('WebhookIndex.match', () => {
  const index = new WebhookIndex([
    wh('wh_exact', ['vendor.created']),
    wh('wh_family', ['vendor.*']),
    wh('wh_all', ['*']),
    wh('wh_overlap', ['vendor.created', 'vendor.*', '*', 'vendor.created']),
    wh('wh_disabled', ['*'], 'prod', false),
    wh('wh_staging', ['vendor.created'], 'staging'),
    wh('wh_assess', ['assessment.approved', 'contract.*']),
    wh('wh_future', ['vendor.deleted']),
  ]);

  it.each<[string, string, string[]]>([
    ['prod', 'vendor.created', ['wh_all', 'wh_exact', 'wh_family', 'wh_overlap']],
    ['prod', 'vendor.status_changed', ['wh_all', 'wh_family', 'wh_overlap']],
    ['prod', 'assessment.approved', ['wh_all', 'wh_assess', 'wh_overlap']],
    ['prod', 'assessment.started', ['wh_all', 'wh_overlap']],
    ['prod', 'contract.analyzed', ['wh_all', 'wh_assess', 'wh_overlap']],
    ['prod', 'webhook.test', ['wh_all', 'wh_overlap']],
    ['prod', 'vendor.deleted', ['wh_all', 'wh_family', 'wh_future', 'wh_overlap']],
    ['prod', 'billing.paid', ['wh_all', 'wh_overlap']],
    ['staging', 'vendor.created', ['wh_staging']],
    ['staging', 'vendor.status_changed', []],
    ['dev', 'vendor.created', []],
  ])('%s / %s → %j', (env, type, expected) => {
    expect(index.match(env, type)).toEqual(expected);
  });

  it('counts enabled webhooks only', () => {
    expect(index.size).toBe(7);
    expect(WebhookIndex.EMPTY.size).toBe(0);
    expect(WebhookIndex.EMPTY.match('prod', 'vendor.created')).toEqual([]);
  });

  it('returns frozen arrays, the same one on every call', () => {
    const first = index.match('prod', 'vendor.created');
    expect(Object.isFrozen(first)).toBe(true);
    expect(index.match('prod', 'vendor.created')).toBe(first);
  });

  it('orders ids by code unit, whatever the input order', () => {
    const ids = ['wh_b', 'wh_B', 'wh_a', 'wh_10', 'wh_9'];
    const a = new WebhookIndex(ids.map((id) => wh(id, ['*'])));
    const b = new WebhookIndex([...ids].reverse().map((id) => wh(id, ['*'])));
    expect(a.match('prod', 'vendor.created')).toEqual(['wh_10', 'wh_9', 'wh_B', 'wh_a', 'wh_b']);
    expect(b.match('prod', 'vendor.created')).toEqual(a.match('prod', 'vendor.created'));
  });

  it('is not affected by later changes to the input', () => {
    const subs = ['vendor.created'];
    const input = [wh('wh_1', subs)];
    const idx = new WebhookIndex(input);
    subs.push('*');
    input.push(wh('wh_2', ['*']));
    expect(idx.match('prod', 'assessment.started')).toEqual([]);
    expect(idx.match('prod', 'vendor.created')).toEqual(['wh_1']);
  });

  it('matches like the naive filter (property)', () => {
    const environments = ['prod', 'staging', 'eu-1'];
    const subscriptions = [
      ...EVENT_TYPES,
      'vendor.*',
      'assessment.*',
      'contract.*',
      'webhook.*',
      '*',
      'vendor.deleted',
      'a.b.*',
      'a.*',
    ];
    const queryTypes = [...EVENT_TYPES, 'vendor.deleted', 'billing.paid', 'a.b.c', 'a.x', 'vendor', ''];
    const webhook = fc.record({
      id: fc.string({ minLength: 1, maxLength: 6 }),
      environment: fc.constantFrom(...environments),
      event_types: fc.array(fc.constantFrom(...subscriptions), { maxLength: 4 }),
      enabled: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(webhook, { selector: (w) => w.id, maxLength: 40 }),
        fc.array(fc.tuple(fc.constantFrom(...environments, 'other'), fc.constantFrom(...queryTypes)), {
          minLength: 1,
          maxLength: 20,
        }),
        (webhooks, queries) => {
          const idx = new WebhookIndex(webhooks);
          for (const [env, type] of queries) {
            expect(idx.match(env, type)).toEqual(naiveMatch(webhooks, env, type));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
