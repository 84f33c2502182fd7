import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { decodeJob } from '../../../src/core/job.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { OpsServer } from '../../../src/observability/ops-server.js';
import { startApi } from '../../../src/roles/api.js';
import { type Component, closeAll } from '../../../src/roles/lifecycle.js';
import { resources, services, testLogger, uniqueName, waitFor } from '../../support/helpers.js';
import { freePort } from '../../support/ports.js';
import { ADMIN_KEY, call, SECRET_KEY_HEX } from './support.js';

describe('the api role', () => {
  const r = resources();

  it('ensures indexes, serves the API and probes, produces to the deliveries topic, and shuts down cleanly', async () => {
    const { db, uri } = await r.mongo();
    const prefix = uniqueName('hsrole');
    const port = await freePort();
    const config = loadConfig({
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: uri,
      HOOKSTREAM_TOPIC_PREFIX: prefix,
      HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY,
      HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
      HOOKSTREAM_API_PORT: String(port),
      HOOKSTREAM_API_HOST: '127.0.0.1',
    });
    const admin = await r.admin();
    await ensureTopics(admin, [
      { topic: `${prefix}.deliveries`, partitions: 1, replication: 1, retentionMs: 86_400_000 },
    ]);

    const started: Component[] = [];
    const ops = new OpsServer(testLogger);
    const controller = new AbortController();
    r.add(null, () => closeAll(started, testLogger));
    await startApi({ config, logger: testLogger, signal: controller.signal, ops, started });

    const indexes = async (name: string) => (await db.collection(name).indexes()).map((i) => i.name);
    expect(await indexes('api_keys')).toEqual(
      expect.arrayContaining(['key_hash_unique', 'environment_created']),
    );
    expect(await indexes('webhooks')).toEqual(
      expect.arrayContaining(['environment_id', 'environment_created']),
    );
    expect(await indexes('deliveries')).toEqual(expect.arrayContaining(['webhook_created']));
    expect((await ops.readiness()).ready).toBe(true);

    const base = `http://127.0.0.1:${port}`;
    expect((await call(base, 'GET', '/healthz', { key: null })).status).toBe(200);
    expect((await call(base, 'GET', '/readyz', { key: null })).status).toBe(200);
    const created = await call(base, 'POST', '/v1/environments/prod/webhooks', {
      body: { url: 'https://93.184.215.14/hook', event_types: ['*'] },
    });
    expect(created.status).toBe(201);
    const sent = await call(base, 'POST', `/v1/environments/prod/webhooks/${created.json.id}/test`);
    expect(sent.status).toBe(202);

    const offsets = await waitFor(async () => {
      const o = await admin.fetchTopicOffsets(`${prefix}.deliveries`);
      return o[0]?.high === '1' ? o : null;
    });
    expect(offsets).toHaveLength(1);
    const consumer = r.add(r.kafka().consumer({ groupId: uniqueName('role') }), (c) => c.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.deliveries`, fromBeginning: true });
    const values: Buffer[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value!);
      },
    });
    await waitFor(() => values.length === 1, { timeout: 30_000 });
    expect(decodeJob(values[0]!)).toMatchObject({
      event_id: sent.json.event_id,
      webhook_id: created.json.id,
    });

    await closeAll(started, testLogger);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('refuses to start without HOOKSTREAM_ADMIN_API_KEY or HOOKSTREAM_SECRET_KEY, naming the variable', async () => {
    const base = { KAFKA_BROKERS: services().kafkaBrokers.join(','), MONGODB_URI: services().mongoUri };
    const ctx = (env: Record<string, string>) => ({
      config: loadConfig({ ...base, ...env }),
      logger: testLogger,
      signal: new AbortController().signal,
      ops: new OpsServer(testLogger),
      started: [] as Component[],
    });
    await expect(startApi(ctx({ HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX }))).rejects.toThrow(
      /HOOKSTREAM_ADMIN_API_KEY/,
    );
    await expect(startApi(ctx({ HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY }))).rejects.toThrow(
      /HOOKSTREAM_SECRET_KEY/,
    );
  });
});
