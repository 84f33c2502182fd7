import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeysCommand } from '../../../src/cli/api-keys.js';
import { webhooksCommand } from '../../../src/cli/webhooks.js';
import { isHookstreamError } from '../../../src/core/errors.js';
import { apiKeysCollection } from '../../../src/mongo/api-keys.js';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { decryptSecret } from '../../../src/security/secret-box.js';
import { resources, services } from '../../support/helpers.js';
import { ADMIN_KEY, call, envName, SECRET_KEY_HEX, startTestApi } from './support.js';

function capture() {
  let text = '';
  return {
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
}

describe('CLI: hookstream webhooks / api-keys (same service code, straight to MongoDB)', () => {
  const r = resources();

  async function setup() {
    const { db, uri } = await r.mongo();
    const env: Record<string, string> = {
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: uri,
      HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
      HOOKSTREAM_ALLOW_HTTP: 'false',
    };
    return { db, uri, env };
  }

  it('creates, lists and disables webhooks', async () => {
    const { db, env } = await setup();
    const environment = envName();
    const out = capture();
    const err = capture();
    const code = await webhooksCommand(
      [
        'create',
        '--env',
        environment,
        '--url',
        'https://93.184.215.14/hook',
        '--types',
        'vendor.created, evidence.*',
        '--description',
        'from cli',
      ],
      { env, stdout: out, stderr: err },
    );
    expect(code).toBe(0);
    const created = JSON.parse(out.text);
    expect(created).toMatchObject({
      environment,
      url: 'https://93.184.215.14/hook',
      event_types: ['vendor.created', 'evidence.*'],
      description: 'from cli',
      enabled: true,
    });
    expect(created.secret).toMatch(/^whsec_/);
    expect(err.text).toContain('shown only now');
    const raw = await webhooksCollection(db).findOne({ _id: created.id });
    expect(decryptSecret(Buffer.from(SECRET_KEY_HEX, 'hex'), raw!.secrets[0]!.ciphertext)).toBe(
      created.secret,
    );

    const table = capture();
    expect(await webhooksCommand(['list', '--env', environment], { env, stdout: table })).toBe(0);
    expect(table.text.split('\n')[0]).toMatch(/^ID\s+ENABLED\s+EVENT TYPES\s+URL/);
    expect(table.text).toContain(created.id);
    expect(table.text).not.toContain(created.secret);

    const disabled = capture();
    expect(
      await webhooksCommand(['disable', '--env', environment, '--id', created.id], { env, stdout: disabled }),
    ).toBe(0);
    expect(disabled.text).toBe(`disabled ${created.id} (https://93.184.215.14/hook)\n`);
    const json = capture();
    await webhooksCommand(['list', '--env', environment, '--json'], { env, stdout: json });
    expect(JSON.parse(json.text)).toEqual([
      expect.objectContaining({ id: created.id, enabled: false, disabled_reason: 'manual' }),
    ]);
  });

  it('applies the same checks as the API: private targets, unknown event types, unknown ids', async () => {
    const { env } = await setup();
    const environment = envName();
    const attempt = (args: string[]) =>
      webhooksCommand(args, { env, stdout: capture(), stderr: capture() }).then(
        () => null,
        (e: unknown) => e,
      );
    const ssrf = await attempt([
      'create',
      '--env',
      environment,
      '--url',
      'https://localhost/x',
      '--types',
      '*',
    ]);
    expect(isHookstreamError(ssrf, 'TARGET_FORBIDDEN')).toBe(true);
    const types = await attempt([
      'create',
      '--env',
      environment,
      '--url',
      'https://93.184.215.14/',
      '--types',
      'vendor.nope',
    ]);
    expect(isHookstreamError(types, 'VALIDATION_FAILED')).toBe(true);
    const missing = await attempt(['disable', '--env', environment, '--id', 'wh_missing']);
    expect(isHookstreamError(missing, 'NOT_FOUND')).toBe(true);
    const usage = await attempt(['create', '--env', environment]);
    expect(isHookstreamError(usage, 'VALIDATION_FAILED')).toBe(true);
    expect(await webhooksCommand(['explode'], { env, stdout: capture(), stderr: capture() })).toBe(2);
  });

  it('mints an API key (stored hashed) that the admin API accepts for its environment only', async () => {
    const { db, env } = await setup();
    const environment = envName();
    const out = capture();
    expect(
      await apiKeysCommand(['create', '--env', environment], { env, stdout: out, stderr: capture() }),
    ).toBe(0);
    const minted = JSON.parse(out.text);
    expect(minted.key).toMatch(/^hsk_/);
    const raw = await apiKeysCollection(db).findOne({ _id: minted.id });
    expect(raw?.key_hash).toBe(createHash('sha256').update(minted.key).digest('hex'));

    // An API server on the same database accepts it.
    const api = await startTestApi(r, { consume: false });
    await apiKeysCollection(api.db).insertOne(raw!);
    expect(
      (await call(api.base, 'GET', `/v1/environments/${environment}/webhooks`, { key: minted.key })).status,
    ).toBe(200);
    expect(
      (await call(api.base, 'GET', `/v1/environments/${envName()}/webhooks`, { key: minted.key })).status,
    ).toBe(404);
    expect(
      (await call(api.base, 'GET', `/v1/environments/${environment}/webhooks`, { key: ADMIN_KEY })).status,
    ).toBe(200);
  });
});
