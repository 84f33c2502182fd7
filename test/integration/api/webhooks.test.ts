import { createCipheriv } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { decryptSecret } from '../../../src/security/secret-box.js';
import { resources } from '../../support/helpers.js';
import { envName, SECRET_KEY_HEX, startTestApi, type TestApi, webhookInput } from './support.js';

const WEBHOOK_FIELDS = [
  'created_at',
  'description',
  'disabled_at',
  'disabled_reason',
  'enabled',
  'environment',
  'event_types',
  'failing_since',
  'filter',
  'headers',
  'id',
  'rate_limit_per_s',
  'secret_rotated_until',
  'standard_webhooks',
  'updated_at',
  'url',
];

describe('admin API: webhooks', () => {
  const r = resources('all');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r, { consume: false });
  });

  it('creates a webhook: 201, Location, the secret once, and nothing secret when read back', async () => {
    const env = envName();
    const created = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput({ event_types: ['vendor.created', 'assessment.*'], description: 'vendor sync' }),
    });
    expect(created.status).toBe(201);
    expect(created.json.id).toMatch(/^wh_[a-z2-7]{26}$/);
    expect(created.headers.get('location')).toBe(`/v1/environments/${env}/webhooks/${created.json.id}`);
    expect(created.json).toMatchObject({
      environment: env,
      url: 'https://receiver.example.com/hooks',
      event_types: ['vendor.created', 'assessment.*'],
      description: 'vendor sync',
      enabled: true,
      disabled_reason: null,
      standard_webhooks: false,
      secret_rotated_until: null,
    });
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.json.secret.slice(6), 'base64')).toHaveLength(32);

    const read = await api.call('GET', `/v1/environments/${env}/webhooks/${created.json.id}`);
    expect(read.status).toBe(200);
    expect(Object.keys(read.json).sort()).toEqual(WEBHOOK_FIELDS);
    expect(read.text).not.toContain(created.json.secret);
    expect(read.text).not.toContain('ciphertext');
  });

  it('stores the secret only encrypted: the raw document holds no plaintext and decrypts with the key', async () => {
    const env = envName();
    const created = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() });
    const raw = await webhooksCollection(api.db).findOne({ _id: created.json.id });
    const dump = JSON.stringify(raw);
    expect(dump).not.toContain(created.json.secret);
    expect(dump).not.toContain(created.json.secret.slice(6));
    expect(raw?.secrets).toHaveLength(1);
    expect(raw?.secrets[0]?.ciphertext).toMatch(/^v2\./);
    expect(
      decryptSecret(Buffer.from(SECRET_KEY_HEX, 'hex'), raw!.secrets[0]!.ciphertext, created.json.id),
    ).toBe(created.json.secret);
    expect(() => decryptSecret(Buffer.alloc(32, 1), raw!.secrets[0]!.ciphertext, created.json.id)).toThrow();
  });

  it('gives every webhook its own secret', async () => {
    const env = envName();
    const secrets = new Set<string>();
    for (let i = 0; i < 5; i++) {
      secrets.add(
        (await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() })).json.secret,
      );
    }
    expect(secrets.size).toBe(5);
  });

  it('lists an environment with cursor pagination, oldest first, never another environment', async () => {
    const env = envName();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.call('POST', `/v1/environments/${env}/webhooks`, {
        body: webhookInput({ description: `n${i}` }),
      });
      ids.push(res.json.id);
    }
    await api.call('POST', `/v1/environments/${envName()}/webhooks`, { body: webhookInput() });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
      const page = await api.call('GET', `/v1/environments/${env}/webhooks${query}`);
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(2);
      for (const w of page.json.data) {
        expect(w.secret).toBeUndefined();
        expect(w.environment).toBe(env);
      }
      seen.push(...page.json.data.map((w: { id: string }) => w.id));
      cursor = page.json.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);

    const all = await api.call('GET', `/v1/environments/${env}/webhooks`);
    expect(all.json.data).toHaveLength(5);
    expect(all.json.next_cursor).toBeNull();
    expect((await api.call('GET', `/v1/environments/${envName()}/webhooks`)).json).toEqual({
      data: [],
      next_cursor: null,
    });
  });

  it('updates URL, event types, description and enabled; disabling records the reason', async () => {
    const env = envName();
    const { json: created } = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput(),
    });
    const path = `/v1/environments/${env}/webhooks/${created.id}`;

    const changed = await api.call('PATCH', path, {
      body: { url: 'https://other.example.net/in', event_types: ['*'], description: null },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      url: 'https://other.example.net/in',
      event_types: ['*'],
      description: null,
    });
    expect(Date.parse(changed.json.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect(changed.json.secret).toBeUndefined();

    const disabled = await api.call('PATCH', path, { body: { enabled: false } });
    expect(disabled.json).toMatchObject({ enabled: false, disabled_reason: 'manual' });
    const enabled = await api.call('PATCH', path, { body: { enabled: true } });
    expect(enabled.json).toMatchObject({ enabled: true, disabled_reason: null });
    expect((await api.call('GET', path)).json).toMatchObject({
      url: 'https://other.example.net/in',
      enabled: true,
    });
  });

  it('deletes: 204, then 404 everywhere, gone from the list, secrets erased in the database', async () => {
    const env = envName();
    const { json: created } = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput(),
    });
    const path = `/v1/environments/${env}/webhooks/${created.id}`;
    const deleted = await api.call('DELETE', path);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');

    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { enabled: true }],
      ['DELETE', '', undefined],
      ['POST', '/rotate-secret', undefined],
      ['POST', '/test', undefined],
      ['GET', '/deliveries', undefined],
    ] as const) {
      const res = await api.call(method, `${path}${suffix}`, { body });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    }
    expect((await api.call('GET', `/v1/environments/${env}/webhooks`)).json.data).toEqual([]);
    const raw = await webhooksCollection(api.db).findOne({ _id: created.id });
    expect(raw).toMatchObject({ deleted: true, enabled: false, secrets: [] });
  });

  it('rotates: a new secret, the old one kept (encrypted) for the overlap, reported as secret_rotated_until', async () => {
    const env = envName();
    const { json: created } = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput(),
    });
    const path = `/v1/environments/${env}/webhooks/${created.id}`;
    const before = Date.now();
    const rotated = await api.call('POST', `${path}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(created.secret);
    const until = Date.parse(rotated.json.secret_rotated_until);
    expect(until).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 1000);

    const raw = await webhooksCollection(api.db).findOne({ _id: created.id });
    const key = Buffer.from(SECRET_KEY_HEX, 'hex');
    const plain = raw!.secrets.map((s) => ({
      secret: decryptSecret(key, s.ciphertext, created.id),
      expires_at: s.expires_at,
    }));
    expect(plain).toEqual([
      { secret: rotated.json.secret, expires_at: null },
      { secret: created.secret, expires_at: new Date(until) },
    ]);
    expect(JSON.stringify(raw)).not.toContain(rotated.json.secret);

    const read = await api.call('GET', path);
    expect(read.json.secret_rotated_until).toBe(rotated.json.secret_rotated_until);
    expect(read.json.secret).toBeUndefined();
  });

  it('rotates with overlap_seconds 0: every older secret stops signing now', async () => {
    const env = envName();
    const { json: created } = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput(),
    });
    const path = `/v1/environments/${env}/webhooks/${created.id}/rotate-secret`;
    await api.call('POST', path, { body: {} });
    const leaked = await api.call('POST', path, { body: { overlap_seconds: 0 } });
    expect(leaked.status).toBe(200);
    expect(leaked.json.secret_rotated_until).toBeNull();
    const raw = await webhooksCollection(api.db).findOne({ _id: created.id });
    expect(raw!.secrets).toHaveLength(1);
    expect(decryptSecret(Buffer.from(SECRET_KEY_HEX, 'hex'), raw!.secrets[0]!.ciphertext, created.id)).toBe(
      leaked.json.secret,
    );
  });

  it('validates event types against the taxonomy: families and * are fine, unknown names are 422', async () => {
    const env = envName();
    const ok = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput({ event_types: ['*', 'contract.*', 'workflow.checkpoint'] }),
    });
    expect(ok.status).toBe(201);
    for (const bad of [
      ['vendor.deleted'],
      ['nope.*'],
      ['vendor.created', 'vendor'],
      [],
      ['vendor.*', 'vendor.*'],
    ]) {
      const res = await api.call('POST', `/v1/environments/${env}/webhooks`, {
        body: webhookInput({ event_types: bad }),
      });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
      expect(res.json.error.message).toMatch(/^event_types/);
    }
  });

  it('lists the event taxonomy and the subscriptions', async () => {
    const res = await api.call('GET', '/v1/event-types');
    expect(res.status).toBe(200);
    expect(res.json.data).toContain('vendor.created');
    expect(res.json.data).toContain('webhook.test');
    expect(res.json.subscriptions).toEqual(expect.arrayContaining(['*', 'vendor.*', 'contract.renewal_due']));
  });

  it('creates a disabled webhook with Standard Webhooks headers when asked', async () => {
    const res = await api.call('POST', `/v1/environments/${envName()}/webhooks`, {
      body: webhookInput({ enabled: false, standard_webhooks: true }),
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ enabled: false, disabled_reason: 'manual', standard_webhooks: true });
  });

  it('re-encrypts secrets stored before associated data (v1) when the webhook is read', async () => {
    const env = envName();
    const { json: created } = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput(),
    });
    const key = Buffer.from(SECRET_KEY_HEX, 'hex');
    // A v1 ciphertext as the previous release wrote it: no associated data.
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 3));
    const ct = Buffer.concat([cipher.update(created.secret, 'utf8'), cipher.final()]);
    const v1 = ['v1', Buffer.alloc(12, 3), cipher.getAuthTag(), ct]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
    const before = await webhooksCollection(api.db).findOneAndUpdate(
      { _id: created.id },
      { $set: { 'secrets.0.ciphertext': v1 } },
      { returnDocument: 'after' },
    );
    expect(decryptSecret(key, v1, created.id)).toBe(created.secret);

    expect((await api.call('GET', `/v1/environments/${env}/webhooks/${created.id}`)).status).toBe(200);
    const raw = await webhooksCollection(api.db).findOne({ _id: created.id });
    expect(raw!.secrets[0]!.ciphertext).toMatch(/^v2\./);
    expect(decryptSecret(key, raw!.secrets[0]!.ciphertext, created.id)).toBe(created.secret);
    expect(raw!.updated_at).toEqual(before!.updated_at);
    expect(() => decryptSecret(key, raw!.secrets[0]!.ciphertext, 'wh_another')).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
  });
});
