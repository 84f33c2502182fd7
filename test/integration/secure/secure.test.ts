/**
 * hookstream against a secured cluster, as real processes: SASL_SSL Kafka (SCRAM-SHA-512, a private
 * CA) and MongoDB over TLS. The whole loop runs through them, and each misconfiguration makes a role
 * exit non-zero within 15 s with one clear line that carries no secret.
 */

import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { createKafka } from '../../../src/kafka/client.js';
import { resources, testLogger, uniqueName, waitFor } from '../../support/helpers.js';
import { type RoleProcess, spawnRole, stopRole } from '../../support/processes.js';
import { TestReceiver } from '../../support/receiver.js';
import { freePort, logLines, type SecureStack, secureStack } from './support.js';

const ADMIN_KEY = 'admin-key-for-secure-tests-0123456789';
const SECRET_KEY = 'c'.repeat(64);

describe('secured cluster: SASL_SSL Kafka and TLS MongoDB', () => {
  const r = resources();
  let stack: SecureStack;
  beforeAll(async () => {
    stack = await secureStack();
    process.stderr.write(
      `secure tests: Kafka ${stack.env.KAFKA_BROKERS}, MongoDB over TLS (from ${stack.source})\n`,
    );
  }, 240_000);
  afterAll(() => stack?.stop(), 120_000);

  /** Role environment on the secure listeners, with a topic prefix and TLS database of its own. */
  function roleEnv(overrides: Record<string, string> = {}): Record<string, string> {
    const prefix = uniqueName('hssec');
    return {
      ...stack.env,
      MONGODB_URI: stack.env.MONGODB_URI!.replace('/hookstream?', `/${prefix.replace(/-/g, '_')}?`),
      HOOKSTREAM_TOPIC_PREFIX: prefix,
      HOOKSTREAM_EVENT_TOPICS: `${prefix}.events`,
      HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY,
      HOOKSTREAM_SECRET_KEY: SECRET_KEY,
      HOOKSTREAM_ALLOW_HTTP: 'true',
      HOOKSTREAM_ALLOW_PRIVATE_TARGETS: 'true',
      HOOKSTREAM_API_HOST: '127.0.0.1',
      HOOKSTREAM_RETRY_TIERS: '1s,2s',
      HOOKSTREAM_RETRY_BUDGET: '10s',
      HOOKSTREAM_TOPIC_PARTITIONS: '1',
      HOOKSTREAM_WEBHOOK_REFRESH_MS: '300',
      HOOKSTREAM_WEBHOOK_CACHE_MS: '300',
      HOOKSTREAM_LAG_INTERVAL_MS: '0',
      LOG_LEVEL: 'info',
      ...overrides,
    };
  }

  function role(args: string[], env: Record<string, string>): RoleProcess {
    return r.add(spawnRole(args, env), (p) => stopRole(p, 10_000));
  }

  it('registers a webhook through the API, routes an event produced over SASL_SSL, delivers it signed and records it in MongoDB over TLS', async () => {
    const env = roleEnv({
      HOOKSTREAM_API_PORT: String(await freePort()),
      HOOKSTREAM_METRICS_PORT: String(await freePort()),
    });
    const topics = role(['topics', 'create', '--event-topics'], env);
    expect((await topics.exited).code, topics.output()).toBe(0);

    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    const all = role(['all'], env);
    const api = `http://127.0.0.1:${env.HOOKSTREAM_API_PORT}`;
    await waitFor(() => fetch(`${api}/readyz`).then((res) => res.ok), {
      timeout: 45_000,
      interval: 250,
      message: `hookstream all ready on SASL_SSL + TLS; output so far:\n${all.output()}`,
    });

    const created = await fetch(`${api}/v1/environments/prod/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${rx.url}/secure`, event_types: ['vendor.created'] }),
    });
    expect(created.status).toBe(201);
    const webhook = (await created.json()) as { id: string; secret: string };

    // The event goes in over SASL_SSL too, with the settings a user would give.
    const config = loadConfig(env);
    const producer = createKafka({
      brokers: config.kafka.brokers,
      security: config.kafka,
      clientId: uniqueName('secure-producer'),
      logger: testLogger,
    }).producer();
    await producer.connect();
    r.add(producer, (p) => p.disconnect());
    // The router picks the webhook up within HOOKSTREAM_WEBHOOK_REFRESH_MS: send until it has. Each
    // send is a new event: a repeat of one routed before the webhook was known (to no webhook) is a
    // duplicate within the dedupe window and is skipped.
    const sentIds: string[] = [];
    const got = await waitFor(
      async () => {
        const eventId = uniqueName('evt');
        sentIds.push(eventId);
        const envelope = {
          event_id: eventId,
          event_type: 'vendor.created',
          environment: 'prod',
          data: { n: 1 },
        };
        await producer.send({
          topic: config.eventTopics[0]!,
          messages: [{ value: JSON.stringify(envelope) }],
        });
        return waitFor(() => rx.at('/secure')[0], { timeout: 3_000 }).catch(() => null);
      },
      { timeout: 30_000, message: `the event reached the receiver; role output:\n${all.output()}` },
    );
    const eventId = String(got.headers['coverbase-event-id']);
    expect(sentIds).toContain(eventId);
    const [t, v1] = String(got.headers['coverbase-signature']).split(',');
    const expected = createHmac('sha256', webhook.secret)
      .update(`${t!.slice(2)}.${got.body}`)
      .digest('hex');
    expect(v1).toBe(`v1=${expected}`);

    // The delivery record, read back over TLS with the CA from the URI.
    const mongo = r.add(
      await new MongoClient(env.MONGODB_URI!, { serverSelectionTimeoutMS: 5_000 }).connect(),
      (c) => c.close(),
    );
    const record = await waitFor(
      () => mongo.db().collection('deliveries').findOne({ event_id: eventId, status: 'succeeded' }),
      { message: 'a succeeded delivery record in MongoDB' },
    );
    expect(record.webhook_id).toBe(webhook.id);

    const metrics = await (await fetch(`http://127.0.0.1:${env.HOOKSTREAM_METRICS_PORT}/metrics`)).text();
    await stopRole(all, 20_000);
    for (const text of [metrics, all.output(), topics.output()]) expect(text).not.toContain(stack.password);
  }, 120_000);

  it('refuses a plaintext MongoDB client on the TLS port, and TLS without the CA', async () => {
    const uri = new URL(stack.env.MONGODB_URI!);
    const plain = `mongodb://${uri.host}/hookstream`;
    await expect(new MongoClient(plain, { serverSelectionTimeoutMS: 2_000 }).connect()).rejects.toThrow();
    const noCa = `mongodb://${uri.host}/hookstream?tls=true`;
    await expect(new MongoClient(noCa, { serverSelectionTimeoutMS: 2_000 }).connect()).rejects.toThrow(
      /certificate/,
    );
  });

  it('mutual TLS: the client certificate from KAFKA_SSL_CERT_FILE/KEY_FILE is accepted; without one the CLI stops within 15 s in one line', async () => {
    // Certificates instead of SASL (that listener has none); MongoDB stays on its TLS port.
    const base = roleEnv();
    const env: Record<string, string> = {
      ...base,
      ...stack.mtls,
      MONGODB_URI: base.MONGODB_URI!,
      KAFKA_SASL_MECHANISM: '',
      KAFKA_SASL_USERNAME: '',
      KAFKA_SASL_PASSWORD_FILE: '',
    };
    const ok = role(['topics', 'create'], env);
    expect((await ok.exited).code, ok.output()).toBe(0);
    expect(ok.output()).toContain(`created ${env.HOOKSTREAM_TOPIC_PREFIX}.deliveries`);

    const t0 = Date.now();
    const refused = role(['topics', 'create'], { ...env, KAFKA_SSL_CERT_FILE: '', KAFKA_SSL_KEY_FILE: '' });
    const { code } = await refused.exited;
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(code).not.toBe(0);
    const lines = refused
      .output()
      .split('\n')
      .filter((l) => l.startsWith('hookstream topics create:'));
    expect(lines, refused.output()).toHaveLength(1);
    expect(lines[0]).toMatch(
      /TLS handshake failed \(ERR_SSL_.*\): check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE/,
    );
  });

  const otherCa = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-untrusted-'));
    return { dir, file: join(dir, 'ca.pem') };
  };

  const failures: [string, () => Promise<Record<string, string>>, RegExp][] = [
    [
      'a wrong password',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'hs-pw-'));
        writeFileSync(join(dir, 'password'), 'wrong-password-0b7e4c\n');
        return { KAFKA_SASL_PASSWORD_FILE: join(dir, 'password') };
      },
      /rejected the SASL login of user "hookstream".*KAFKA_SASL_PASSWORD/,
    ],
    [
      'an untrusted CA',
      async () => {
        const { dir, file } = otherCa();
        await promisify(execFile)('openssl', [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=untrusted test CA',
          '-keyout',
          join(dir, 'ca.key'),
          '-out',
          file,
        ]);
        return { KAFKA_SSL_CA_FILE: file };
      },
      /TLS certificate is not trusted \(\w+\): check KAFKA_SSL_CA_FILE/,
    ],
    [
      'a plaintext client pointed at the TLS port',
      async () => ({
        KAFKA_SSL: 'false',
        KAFKA_SSL_CA_FILE: '',
        KAFKA_SASL_MECHANISM: '',
        KAFKA_SASL_USERNAME: '',
        KAFKA_SASL_PASSWORD_FILE: '',
      }),
      /closed every connection before answering \(client: plaintext, no SASL\)/,
    ],
    [
      'MongoDB over TLS without its CA',
      async () => ({ MONGODB_URI: stack.env.MONGODB_URI!.replace(/&tlsCAFile=[^&]*/, '') }),
      /^MongoDB 127\.0\.0\.1:\d+: the server's TLS certificate is not trusted \(\w+\): check tlsCAFile in MONGODB_URI/,
    ],
  ];

  it.each(failures)(
    '%s makes the router exit non-zero within 15 s with one clear line',
    async (_what, settings, clear) => {
      const env = roleEnv({ ...(await settings()), HOOKSTREAM_METRICS_PORT: '0' });
      const t0 = Date.now();
      const router = role(['router'], env);
      const { code } = await Promise.race([
        router.exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`still running after 15 s:\n${router.output()}`)), 15_000),
        ),
      ]);
      const elapsedMs = Date.now() - t0;
      expect(code, router.output()).not.toBe(0);
      expect(elapsedMs).toBeLessThan(15_000);
      const fatal = logLines(router.output()).filter((l) => l.level === 'fatal');
      expect(fatal, router.output()).toHaveLength(1);
      expect(fatal[0]!.err?.message).toMatch(clear);
      expect(router.output()).not.toContain(stack.password);
      expect(router.output()).not.toContain('wrong-password-0b7e4c');
    },
  );
});
