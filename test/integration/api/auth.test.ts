import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeysCollection } from '../../../src/mongo/api-keys.js';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, type TestApi, webhookInput } from './support.js';

describe('admin API: authentication and environment scoping', () => {
  const r = resources('all');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r, { consume: false });
  });

  async function mintKey(environment: string): Promise<{ id: string; key: string }> {
    const res = await api.call('POST', '/v1/api-keys', { body: { environment, description: 'ci' } });
    expect(res.status).toBe(201);
    return res.json;
  }

  it('answers 401 without a key, with a malformed header, and with a wrong key — before validating anything', async () => {
    const env = envName();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer wrong-key-0123456789' },
      { authorization: 'Bearer hsk_doesnotexist' },
    ];
    for (const headers of attempts) {
      const res = await api.call('POST', `/v1/environments/${env}/webhooks`, {
        key: null,
        headers,
        body: { bad: 1 },
      });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.json.error.code).toBe('UNAUTHORIZED');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await api.call('GET', '/v1/event-types', { key: null })).status).toBe(401);
  });

  it('mints a scoped key shown once and stored only as its SHA-256', async () => {
    const env = envName();
    const minted = await mintKey(env);
    expect(minted.key).toMatch(/^hsk_[A-Za-z0-9_-]{43}$/);
    expect(minted.id).toMatch(/^key_/);
    expect(minted).toMatchObject({ environment: env, description: 'ci', revoked_at: null });
    const raw = await apiKeysCollection(api.db).findOne({ _id: minted.id });
    expect(JSON.stringify(raw)).not.toContain(minted.key);
    expect(raw?.key_hash).toBe(createHash('sha256').update(minted.key).digest('hex'));

    const listed = await api.call('GET', `/v1/api-keys?environment=${env}`);
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((k: { id: string }) => k.id)).toEqual([minted.id]);
    expect(listed.text).not.toContain(minted.key);
  });

  it('a scoped key works in its environment and gets 404 for everything in another one', async () => {
    const mine = envName();
    const theirs = envName();
    const { key } = await mintKey(mine);
    const own = await api.call('POST', `/v1/environments/${mine}/webhooks`, { key, body: webhookInput() });
    expect(own.status).toBe(201);
    expect((await api.call('GET', `/v1/environments/${mine}/webhooks/${own.json.id}`, { key })).status).toBe(
      200,
    );
    expect((await api.call('GET', `/v1/environments/${mine}/webhooks`, { key })).json.data).toHaveLength(1);
    expect((await api.call('GET', '/v1/event-types', { key })).status).toBe(200);

    const other = await api.call('POST', `/v1/environments/${theirs}/webhooks`, { body: webhookInput() });
    const otherPath = `/v1/environments/${theirs}/webhooks/${other.json.id}`;
    for (const [method, path, body] of [
      ['GET', `/v1/environments/${theirs}/webhooks`, undefined],
      ['POST', `/v1/environments/${theirs}/webhooks`, webhookInput()],
      ['GET', otherPath, undefined],
      ['PATCH', otherPath, { enabled: false }],
      ['DELETE', otherPath, undefined],
      ['POST', `${otherPath}/rotate-secret`, undefined],
      ['POST', `${otherPath}/test`, undefined],
      ['POST', `${otherPath}/replay`, { since: '2020-01-01T00:00:00Z' }],
      ['GET', `${otherPath}/deliveries`, undefined],
      ['GET', `/v1/environments/${theirs}/deliveries/dlv_x`, undefined],
      ['POST', `/v1/environments/${theirs}/deliveries/dlv_x/retry`, undefined],
    ] as const) {
      const res = await api.call(method, path, { key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    }
    // The other environment's webhook is untouched.
    const still = await api.call('GET', otherPath);
    expect(still.json).toMatchObject({ enabled: true, id: other.json.id });
    expect(still.json.secret_rotated_until).toBeNull();
    // Its id, tried under the key's own environment, is simply unknown.
    expect(
      (await api.call('GET', `/v1/environments/${mine}/webhooks/${other.json.id}`, { key })).status,
    ).toBe(404);
  });

  it('a scoped key cannot mint, list or revoke keys (403)', async () => {
    const env = envName();
    const { key, id } = await mintKey(env);
    for (const [method, path, body] of [
      ['POST', '/v1/api-keys', { environment: env }],
      ['GET', '/v1/api-keys', undefined],
      ['DELETE', `/v1/api-keys/${id}`, undefined],
    ] as const) {
      const res = await api.call(method, path, { key, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error.code).toBe('FORBIDDEN');
    }
    expect((await api.call('GET', `/v1/environments/${env}/webhooks`, { key })).status).toBe(200);
  });

  it('a revoked key stops working at once', async () => {
    const env = envName();
    const { key, id } = await mintKey(env);
    expect((await api.call('GET', `/v1/environments/${env}/webhooks`, { key })).status).toBe(200);
    expect((await api.call('DELETE', `/v1/api-keys/${id}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/environments/${env}/webhooks`, { key })).status).toBe(401);
    expect((await api.call('DELETE', `/v1/api-keys/${id}`)).status).toBe(404);
  });

  it('refuses to mint a key for a malformed environment (422 naming the field)', async () => {
    const res = await api.call('POST', '/v1/api-keys', { body: { environment: 'Prod!' } });
    expect(res.status).toBe(422);
    expect(res.json.error.message).toMatch(/^environment/);
  });
});
