/**
 * The CLI's admin verbs (`hookstream webhooks …`, `hookstream api-keys …`) run in-process through
 * `main()`, on their own database and deliveries topic: the same service code as the API, output on
 * stdout only, exit codes 0/1/2.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main.js';
import { apiKeysCollection } from '../../../src/mongo/api-keys.js';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { decryptSecret } from '../../../src/security/secret-box.js';
import { resources, services } from '../../support/helpers.js';
import { ADMIN_KEY, call, envName, SECRET_KEY_HEX, startTestApi, type TestApi } from './support.js';

function capture() {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
    },
    get text() {
      return text;
    },
  };
}

describe('CLI: hookstream webhooks / api-keys (same service code, straight to MongoDB and Kafka)', () => {
  const r = resources('all');
  let api: TestApi;
  let env: Record<string, string>;
  beforeAll(async () => {
    api = await startTestApi(r);
    env = {
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: api.config.mongodb.uri,
      HOOKSTREAM_TOPIC_PREFIX: api.config.topicPrefix,
      HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
      HOOKSTREAM_ALLOW_HTTP: 'false',
    };
  });

  /** Runs `hookstream <args>`; answers the exit code and both streams. */
  async function hs(...args: string[]) {
    const stdout = capture();
    const stderr = capture();
    const code = await main(args, { env, stdout, stderr });
    return { code, out: stdout.text, err: stderr.text };
  }

  const createArgs = (environment: string) =>
    ['webhooks', 'create', '--env', environment, '--url', 'https://93.184.215.14/hook'].concat([
      '--types',
      'vendor.created, evidence.*',
      '--description',
      'from cli',
    ]);

  async function created(environment: string): Promise<{ id: string; secret: string }> {
    const res = await hs(...createArgs(environment));
    expect(res.code).toBe(0);
    return JSON.parse(res.out);
  }

  it('creates, lists, shows, disables, enables and deletes webhooks', async () => {
    const environment = envName();
    const res = await hs(...createArgs(environment));
    expect(res.code).toBe(0);
    const webhook = JSON.parse(res.out);
    expect(webhook).toMatchObject({
      environment,
      url: 'https://93.184.215.14/hook',
      event_types: ['vendor.created', 'evidence.*'],
      description: 'from cli',
      enabled: true,
    });
    expect(webhook.secret).toMatch(/^whsec_/);
    expect(res.err).toContain('shown only now');
    const raw = await webhooksCollection(api.db).findOne({ _id: webhook.id });
    expect(decryptSecret(Buffer.from(SECRET_KEY_HEX, 'hex'), raw!.secrets[0]!.ciphertext, webhook.id)).toBe(
      webhook.secret,
    );

    const table = await hs('webhooks', 'list', '--env', environment);
    expect(table.out.split('\n')[0]).toMatch(/^ID\s+ENABLED\s+EVENT TYPES\s+LIMIT\/S\s+FILTER\s+URL/);
    expect(table.out).toContain(webhook.id);
    expect(table.out).not.toContain(webhook.secret);

    expect((await hs('webhooks', 'disable', '--env', environment, '--id', webhook.id)).out).toBe(
      `disabled ${webhook.id} (https://93.184.215.14/hook)\n`,
    );
    const listed = await hs('webhooks', 'list', '--env', environment, '--json');
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ id: webhook.id, enabled: false, disabled_reason: 'manual' }),
    ]);
    expect((await hs('webhooks', 'enable', '--env', environment, '--id', webhook.id)).code).toBe(0);
    const shown = await hs('webhooks', 'get', '--env', environment, '--id', webhook.id);
    expect(JSON.parse(shown.out)).toMatchObject({ id: webhook.id, enabled: true });
    expect(shown.out).not.toContain('secret"');

    expect((await hs('webhooks', 'delete', '--env', environment, '--id', webhook.id)).out).toBe(
      `deleted ${webhook.id}\n`,
    );
    const gone = await hs('webhooks', 'get', '--env', environment, '--id', webhook.id);
    expect(gone).toMatchObject({ code: 1, out: '' });
    expect(gone.err).toBe(`hookstream webhooks get: webhook ${webhook.id} not found\n`);
  });

  it('rotates a secret: the new one printed once, the old one still signing for the overlap', async () => {
    const environment = envName();
    const webhook = await created(environment);
    const res = await hs('webhooks', 'rotate', '--env', environment, '--id', webhook.id, '--overlap', '1h');
    expect(res.code).toBe(0);
    const rotated = JSON.parse(res.out);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(webhook.secret);
    expect(Date.parse(rotated.secret_rotated_until) - Date.now()).toBeGreaterThan(3_500_000);
    const raw = await webhooksCollection(api.db).findOne({ _id: webhook.id });
    expect(raw!.secrets).toHaveLength(2);
  });

  it('sends a test event, lists deliveries, retries one and replays failures through Kafka', async () => {
    const environment = envName();
    const webhook = await created(environment);
    const test = await hs('webhooks', 'test', '--env', environment, '--id', webhook.id, '--message', 'hi');
    expect(test.code).toBe(0);
    const sent = JSON.parse(test.out);
    const [job] = await api.jobsFor((j) => j.delivery_id === sent.delivery_id);
    expect(job).toMatchObject({ webhook_id: webhook.id, event_type: 'webhook.test' });

    const now = new Date();
    const failed = {
      _id: `dlv_cli_${envName()}`,
      webhook_id: webhook.id,
      environment,
      event_id: 'evt_cli_1',
      event_type: 'vendor.created',
      status: 'failed' as const,
      attempts: 3,
      next_attempt_at: null,
      failure_reason: 'budget_exhausted',
      event_created_at: now,
      created_at: now,
      updated_at: now,
      last_attempts: [],
      body: '{"event_id":"evt_cli_1"}',
    };
    await deliveriesCollection(api.db).insertOne(failed);
    const listed = await hs('webhooks', 'deliveries', '--env', environment, '--id', webhook.id, '--json');
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ id: failed._id, status: 'failed' })]);
    const tableOut = await hs('webhooks', 'deliveries', '--env', environment, '--id', webhook.id);
    expect(tableOut.out).toMatch(/^ID\s+STATUS\s+ATTEMPTS/);

    const retried = await hs('webhooks', 'retry', '--env', environment, '--delivery', failed._id);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.out)).toEqual({ delivery_id: failed._id, event_id: 'evt_cli_1', attempt: 4 });
    await api.jobsFor((j) => j.delivery_id === failed._id);
    const again = await hs('webhooks', 'retry', '--env', environment, '--delivery', failed._id);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already queued');

    await deliveriesCollection(api.db).updateOne({ _id: failed._id }, { $set: { status: 'failed' } });
    const since = new Date(now.getTime() - 60_000).toISOString();
    const replayed = await hs(
      'webhooks',
      'replay',
      '--env',
      environment,
      '--id',
      webhook.id,
      '--since',
      since,
    );
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.out)).toEqual({ queued: 1 });
  });

  it('applies the same checks as the API, with exit 2 for usage and 1 for failures', async () => {
    const environment = envName();
    const ssrf = await hs(
      'webhooks',
      'create',
      '--env',
      environment,
      '--url',
      'https://localhost/x',
      '--types',
      '*',
    );
    expect(ssrf.code).toBe(2);
    expect(ssrf.err).toMatch(/^hookstream webhooks create: url: /);
    expect(ssrf.err.split('\n')).toHaveLength(2);
    const types = await hs(
      'webhooks',
      'create',
      '--env',
      environment,
      '--url',
      'https://93.184.215.14/',
      '--types',
      'vendor.nope',
    );
    expect(types.code).toBe(2);
    const missing = await hs('webhooks', 'disable', '--env', environment, '--id', 'wh_missing');
    expect(missing.code).toBe(1);
    const usage = await hs('webhooks', 'create', '--env', environment);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("required option '--url <url>' not specified");
    expect((await hs('webhooks', 'explode')).code).toBe(2);
  });

  it('mints, lists and revokes API keys that the admin API accepts for their environment only', async () => {
    const environment = envName();
    const res = await hs('api-keys', 'create', '--env', environment, '--description', 'ci');
    expect(res.code).toBe(0);
    const minted = JSON.parse(res.out);
    expect(minted.key).toMatch(/^hsk_/);
    const raw = await apiKeysCollection(api.db).findOne({ _id: minted.id });
    expect(raw?.key_hash).toBe(createHash('sha256').update(minted.key).digest('hex'));
    const path = `/v1/environments/${environment}/webhooks`;
    expect((await call(api.base, 'GET', path, { key: minted.key })).status).toBe(200);
    expect(
      (await call(api.base, 'GET', `/v1/environments/${envName()}/webhooks`, { key: minted.key })).status,
    ).toBe(404);
    expect((await call(api.base, 'GET', path, { key: ADMIN_KEY })).status).toBe(200);

    const listed = await hs('api-keys', 'list', '--env', environment, '--json');
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ id: minted.id, revoked_at: null })]);
    expect(listed.out).not.toContain(minted.key);
    expect((await hs('api-keys', 'revoke', '--id', minted.id)).out).toBe(`revoked ${minted.id}\n`);
    expect((await call(api.base, 'GET', path, { key: minted.key })).status).toBe(401);
    const table = await hs('api-keys', 'list', '--env', environment);
    expect(table.out).toMatch(/^ID\s+ENVIRONMENT\s+PREFIX/);
  });
});
