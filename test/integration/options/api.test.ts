/**
 * The delivery options over the real admin API: create and PATCH store, show and clear them; bad
 * ones are 422 naming the field, header, path or operator; nothing is stored on a refusal.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, type TestApi, webhookInput } from '../api/support.js';

describe('admin API: delivery options', () => {
  const r = resources('all');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r, { consume: false });
  });

  const create = (env: string, extra: Record<string, unknown>) =>
    api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput(extra) });

  it('creates with all three options, shows them, and stores the filter as text', async () => {
    const env = envName();
    const filter = { 'data.status': { $in: ['suspended'] }, $or: [{ 'data.tier': { $lt: 3 } }] };
    const created = await create(env, {
      filter,
      headers: { 'X-Tenant': 'acme', 'X-Gateway-Key': 'gw_1' },
      rate_limit_per_s: 5,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      filter,
      headers: { 'X-Tenant': 'acme', 'X-Gateway-Key': 'gw_1' },
      rate_limit_per_s: 5,
    });
    const read = await api.call('GET', `/v1/environments/${env}/webhooks/${created.json.id}`);
    expect(read.json).toMatchObject({ filter, rate_limit_per_s: 5 });
    const raw = await webhooksCollection(api.db).findOne({ _id: created.json.id });
    expect(raw?.filter).toBe(JSON.stringify(filter));
    expect(raw?.headers).toEqual([
      { name: 'X-Tenant', value: 'acme' },
      { name: 'X-Gateway-Key', value: 'gw_1' },
    ]);
  });

  it('without options: no filter, no headers, unlimited', async () => {
    const created = await create(envName(), {});
    expect(created.json).toMatchObject({ filter: null, headers: {}, rate_limit_per_s: null });
  });

  it('PATCH sets, leaves and (with null) clears each option', async () => {
    const env = envName();
    const id = (await create(env, {})).json.id;
    const path = `/v1/environments/${env}/webhooks/${id}`;
    const set = await api.call('PATCH', path, {
      body: { rate_limit_per_s: 10, filter: { 'data.a': 1 }, headers: { 'X-A': 'b' } },
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      rate_limit_per_s: 10,
      filter: { 'data.a': 1 },
      headers: { 'X-A': 'b' },
    });
    const partly = await api.call('PATCH', path, { body: { rate_limit_per_s: null } });
    expect(partly.json).toMatchObject({
      rate_limit_per_s: null,
      filter: { 'data.a': 1 },
      headers: { 'X-A': 'b' },
    });
    const cleared = await api.call('PATCH', path, { body: { filter: null, headers: null } });
    expect(cleared.json).toMatchObject({ rate_limit_per_s: null, filter: null, headers: {} });
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['a forbidden header (Host)', { headers: { Host: 'evil.example' } }, 'headers.Host'],
    [
      'a header colliding with the signature',
      { headers: { 'coverbase-signature': 'x' } },
      'headers.coverbase-signature',
    ],
    ['a Standard Webhooks header', { headers: { 'Webhook-Id': 'x' } }, 'headers.Webhook-Id'],
    ['a hop-by-hop header', { headers: { Connection: 'close' } }, 'headers.Connection'],
    ['a header value with CR/LF', { headers: { 'X-A': 'a\r\nX-B: b' } }, 'headers.X-A'],
    ['a non-string header value', { headers: { 'X-A': 5 } }, 'headers.X-A'],
    [
      '21 headers',
      { headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v'])) },
      'headers',
    ],
    ['an unknown filter operator', { filter: { 'data.a': { $regex: 'x' } } }, 'filter.data.a.$regex'],
    ['a filter path outside data', { filter: { event_type: 'x' } }, 'filter.event_type'],
    ['a rate limit of 0', { rate_limit_per_s: 0 }, 'rate_limit_per_s'],
    ['a rate limit of 10,001', { rate_limit_per_s: 10_001 }, 'rate_limit_per_s'],
    ['a fractional rate limit', { rate_limit_per_s: 2.5 }, 'rate_limit_per_s'],
  ];
  it.each(refusals)('refuses %s with 422 naming it, on create and PATCH', async (_, extra, named) => {
    const env = envName();
    const refused = await create(env, extra);
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('VALIDATION_FAILED');
    expect(refused.json.error.message).toContain(named.split('.').slice(-1)[0]);
    expect(refused.text).not.toContain('a\\r\\nX-B');
    const id = (await create(env, {})).json.id;
    const patched = await api.call('PATCH', `/v1/environments/${env}/webhooks/${id}`, { body: extra });
    expect(patched.status).toBe(422);
    expect(await webhooksCollection(api.db).countDocuments({ environment: env })).toBe(1);
  });
});
