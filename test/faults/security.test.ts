/**
 * Security under attack, on the real roles: SSRF (private targets at registration, a name that
 * re-resolves to 127.0.0.1 between registration and sending, a redirect to an internal host, a
 * private URL that reached the database some other way), the admin API's keys and limits, and a
 * scan of every role log and every Kafka topic for secrets. (Constant-time comparisons:
 * constant-time.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resources, sleep, waitFor } from '../support/helpers.js';
import { event, insertWebhook } from '../support/pipeline.js';
import { TestReceiver } from '../support/receiver.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { ADMIN_API_KEY, apiRole, createScenario, type Scenario, TopicTap } from './support/scenario.js';

const FAKE_DNS = fileURLToPath(new URL('./support/fake-dns.mjs', import.meta.url));
const ENV = 'sec';
/** A name the API resolves to a public address and the sender to 127.0.0.1 (see fake-dns.mjs). */
const REBINDING_HOST = 'rebind.hookstream.test';

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field
  json: any;
  text: string;
}

function client(base: string) {
  return async (
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const key = opts.key === undefined ? ADMIN_API_KEY : opts.key;
    const headers: Record<string, string> = { ...opts.headers };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (opts.raw !== undefined || opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = opts.raw ?? JSON.stringify(opts.body);
    }
    const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, json, text };
  };
}

/** API, router and sender of a scenario, all at debug level (more lines to leak into). */
async function startRoles(s: Scenario, opts: { allowPrivate: boolean }) {
  const privateTargets = String(opts.allowPrivate);
  const api = await apiRole(s, 'api', {
    HOOKSTREAM_ALLOW_PRIVATE_TARGETS: privateTargets,
    NODE_OPTIONS: `--import=${FAKE_DNS}`,
    HOOKSTREAM_TEST_HOSTS: `${REBINDING_HOST}=93.184.215.14`,
  });
  await api.proc.start();
  const router = await s.role('router', ['router']).start();
  const sender = await s
    .role('sender', ['sender', '--tier', 'all'], {
      HOOKSTREAM_ALLOW_PRIVATE_TARGETS: privateTargets,
      NODE_OPTIONS: `--import=${FAKE_DNS}`,
      HOOKSTREAM_TEST_HOSTS: `${REBINDING_HOST}=127.0.0.1`,
    })
    .start();
  return { api, router, sender, call: client(api.base) };
}

const DEBUG = { LOG_LEVEL: 'debug' };
const SCAN_ENV = {
  ...DEBUG,
  // A key of this scenario's own, so that a scan for it means something.
  HOOKSTREAM_SECRET_KEY: randomBytes(32).toString('hex'),
};

/** Waits for the first recorded attempt of a delivery (through the API). */
async function firstAttempt(call: ReturnType<typeof client>, deliveryId: string) {
  const d = await waitFor(
    async () => {
      const a = await call('GET', `/v1/environments/${ENV}/deliveries/${deliveryId}`);
      return a.status === 200 && a.json.attempts.length > 0 ? a.json : null;
    },
    { timeout: 30_000, interval: 250, message: `an attempt of ${deliveryId}` },
  );
  return d.attempts[0];
}

describe('security', () => {
  const r = resources();
  const roles = roleProcesses();

  it('SSRF: private targets are refused at registration, and at send time after DNS rebinding', async () => {
    const s = await createScenario(r, roles, 'ssrf', { env: DEBUG });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    const port = new URL(rx.url).port;
    const { call, sender } = await startRoles(s, { allowPrivate: false });

    const privateUrls = [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      'http://127.1/',
      'http://2130706433/', // 127.0.0.1 as one decimal number
      'http://0x7f000001/',
      'http://0.0.0.0/',
      'http://10.1.2.3/',
      'http://172.16.5.4/',
      'http://192.168.0.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[fd00:ec2::254]/',
    ];
    for (const url of privateUrls) {
      const a = await call('POST', `/v1/environments/${ENV}/webhooks`, {
        body: { url, event_types: ['*'] },
      });
      expect([url, a.status, a.json?.error?.code]).toEqual([url, 422, 'TARGET_FORBIDDEN']);
    }

    // DNS rebinding: the API resolves the name to a public address and accepts it; by the time the
    // sender connects, the same name resolves to 127.0.0.1 — the sender checks the address it
    // actually connects to and refuses.
    const rebound = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      body: { url: `http://${REBINDING_HOST}:${port}/rebound`, event_types: ['*'] },
    });
    expect(rebound.status).toBe(201);
    const sent = await call('POST', `/v1/environments/${ENV}/webhooks/${rebound.json.id}/test`, { body: {} });
    expect(sent.status).toBe(202);
    const attempt = await firstAttempt(call, sent.json.delivery_id);
    expect(attempt.outcome).toBe('forbidden_target');

    // A private URL that reached the database without the API (an old row, a manual insert): the
    // sender refuses literal private addresses too.
    const old = await insertWebhook(s.db, { environment: ENV, url: `${rx.url}/literal`, event_types: ['*'] });
    const sentOld = await call('POST', `/v1/environments/${ENV}/webhooks/${old.id}/test`, { body: {} });
    expect(sentOld.status).toBe(202);
    expect((await firstAttempt(call, sentOld.json.delivery_id)).outcome).toBe('forbidden_target');

    await sleep(2_000); // a retry (1 s tier) would have arrived by now
    expect(rx.received).toEqual([]);
    expect(sender.crashes).toEqual([]);
    recordOutcome({
      fault: 'SSRF: 16 private URLs, DNS rebinding to 127.0.0.1, private URL in the database',
      events: 2,
      deliveries: 2,
      lost: 0,
      duplicated: 0,
      deadLettered: 0,
      recoverMs: null,
      catchUpMs: null,
      notes:
        'all refused: 422 at registration, `forbidden_target` at send time; 0 requests reached 127.0.0.1',
    });
  });

  it('SSRF: a redirect to an internal host is never followed', async () => {
    const s = await createScenario(r, roles, 'redirect', { env: DEBUG });
    // The "internal" service an attacker wants reached, and a receiver that redirects to it. Both
    // are on loopback here, so private targets are allowed for this test; redirects are refused
    // whatever the target.
    const internal = r.add(await new TestReceiver().start(), (x) => x.close());
    const redirector = r.add(
      await new TestReceiver(() => ({
        status: 307,
        headers: { location: `${internal.url}/admin/delete-all` },
      })).start(),
      (x) => x.close(),
    );
    const { call } = await startRoles(s, { allowPrivate: true });
    const w = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      body: { url: `${redirector.url}/hook`, event_types: ['*'] },
    });
    expect(w.status).toBe(201);
    const sent = await call('POST', `/v1/environments/${ENV}/webhooks/${w.json.id}/test`, { body: {} });
    const attempt = await firstAttempt(call, sent.json.delivery_id);
    expect(attempt).toMatchObject({ outcome: 'http_3xx', status_code: 307 });
    await waitFor(() => redirector.received.length >= 2, { timeout: 15_000 }); // retried, not followed
    expect(internal.received).toEqual([]);
  });

  it('admin API: no key or a wrong key is refused on every /v1 route, scoped keys stay in their environment, size limits hold', async () => {
    // Dozens of deliberate failures from one address: above the failed-auth limit (tested on its own
    // in test/integration/api), so every answer here is the 401 of the route itself.
    const s = await createScenario(r, roles, 'auth', {
      env: { ...DEBUG, HOOKSTREAM_API_AUTH_FAILURES_PER_MINUTE: '100000' },
    });
    const api = await apiRole(s);
    await api.proc.start();
    const call = client(api.base);

    // Every route of the OpenAPI document except the operational ones.
    const doc = (await call('GET', '/openapi.json', { key: null })).json;
    const open = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);
    const routes: [string, string][] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      // The console page and /docs are public pages; their data comes from /v1 routes.
      if (open.has(path) || !path.startsWith('/v1/')) continue;
      for (const method of Object.keys(ops)) {
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
          routes.push([method.toUpperCase(), path]);
      }
    }
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const concrete = (p: string) =>
      p
        .replace('{env}', ENV)
        .replace('{id}', 'wh_aaaaaaaaaaaaaaaaaaaaaaaaaa')
        .replace('{delivery_id}', 'dlv_x');
    for (const [method, path] of routes) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      for (const key of [null, 'wrong-key-0123456789', `${ADMIN_API_KEY}x`, 'hsk_forged']) {
        const a = await call(method, concrete(path), { key, body });
        expect([method, path, key, a.status, a.json?.error?.code]).toEqual([
          method,
          path,
          key,
          401,
          'UNAUTHORIZED',
        ]);
      }
      const basic = await call(method, concrete(path), {
        key: null,
        body,
        headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_API_KEY}`).toString('base64')}` },
      });
      expect([method, path, basic.status]).toEqual([method, path, 401]);
    }

    // Scoped keys.
    const minted = await call('POST', '/v1/api-keys', { body: { environment: ENV } });
    expect(minted.status).toBe(201);
    const scoped = minted.json.key as string;
    const other = await call('POST', '/v1/environments/other/webhooks', {
      body: { url: 'http://203.0.0.1/x', event_types: ['*'] },
    });
    const mine = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      body: { url: 'http://203.0.0.2/x', event_types: ['*'] },
    });
    expect([other.status, mine.status]).toEqual([201, 201]);
    expect((await call('GET', `/v1/environments/${ENV}/webhooks`, { key: scoped })).status).toBe(200);
    expect(
      (await call('GET', `/v1/environments/${ENV}/webhooks/${mine.json.id}`, { key: scoped })).status,
    ).toBe(200);
    expect((await call('GET', '/v1/environments/other/webhooks', { key: scoped })).status).toBe(404);
    expect(
      (await call('GET', `/v1/environments/other/webhooks/${other.json.id}`, { key: scoped })).status,
    ).toBe(404);
    expect(
      (await call('GET', `/v1/environments/${ENV}/webhooks/${other.json.id}`, { key: scoped })).status,
    ).toBe(404);
    expect(
      (await call('DELETE', `/v1/environments/other/webhooks/${other.json.id}`, { key: scoped })).status,
    ).toBe(404);
    expect((await call('POST', '/v1/api-keys', { key: scoped, body: { environment: 'other' } })).status).toBe(
      403,
    );
    expect((await call('GET', '/v1/api-keys', { key: scoped })).status).toBe(403);
    expect((await call('DELETE', `/v1/api-keys/${minted.json.id}`, { key: scoped })).status).toBe(403);
    expect((await call('DELETE', `/v1/api-keys/${minted.json.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/environments/${ENV}/webhooks`, { key: scoped })).status).toBe(401);

    // Size limits: a body over 1 MiB, a header block over Node's 16 KiB, a URL over the schema limit.
    const big = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      raw: JSON.stringify({
        url: 'http://203.0.0.3/x',
        event_types: ['*'],
        description: 'd'.repeat(1_100_000),
      }),
    });
    expect([big.status, big.json?.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const hugeHeader = await call('GET', `/v1/environments/${ENV}/webhooks`, {
      headers: { 'x-filler': 'h'.repeat(20_000) },
    });
    expect(hugeHeader.status).toBe(431);
    const longUrl = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      body: { url: `http://203.0.0.4/${'p'.repeat(5_000)}`, event_types: ['*'] },
    });
    expect(longUrl.status).toBe(422);
    expect(api.proc.crashes).toEqual([]);
    expect(await api.proc.ready()).toBe(true);
  });

  it('no secret appears in any role log or Kafka topic', async () => {
    const s = await createScenario(r, roles, 'secrets', { env: SCAN_ENV });
    // /signed fails every first attempt; /gone always fails (until it is deleted).
    const rx = r.add(
      await new TestReceiver((req, n) => ({ status: req.path === '/gone' || n === 1 ? 500 : 200 })).start(),
      (x) => x.close(),
    );
    const { call, api, router, sender } = await startRoles(s, { allowPrivate: true });
    const secrets: string[] = [ADMIN_API_KEY, SCAN_ENV.HOOKSTREAM_SECRET_KEY];

    // Secrets in play: webhook secrets (created, rotated), a scoped key, the admin key (also in a
    // failed attempt, misspelt), the secret-box key.
    const w = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      body: { url: `${rx.url}/signed`, event_types: ['*'] },
    });
    expect(w.status).toBe(201);
    secrets.push(w.json.secret);
    const rotated = await call('POST', `/v1/environments/${ENV}/webhooks/${w.json.id}/rotate-secret`, {
      body: {},
    });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.json.secret);
    const minted = await call('POST', '/v1/api-keys', { body: { environment: ENV } });
    secrets.push(minted.json.key);
    await call('GET', `/v1/environments/${ENV}/webhooks`, { key: minted.json.key });
    await call('GET', `/v1/environments/${ENV}/webhooks`, { key: `${ADMIN_API_KEY.slice(0, -1)}!` });
    await call('GET', `/v1/environments/${ENV}/webhooks`, { key: `${minted.json.key}x` });
    const gone = await call('POST', `/v1/environments/${ENV}/webhooks`, {
      body: { url: `${rx.url}/gone`, event_types: ['vendor.*'] },
    });
    secrets.push(gone.json.secret);

    // Traffic through every path: events via the router, a test send, failures and retries, and
    // dead letters (the second webhook answers 500 until it is deleted; its retries then
    // dead-letter as webhook_deleted).
    const producer = s.kafka.producer();
    await producer.connect();
    r.add(producer, (p) => p.disconnect());
    await sleep(2_500); // the router sees new webhooks within its refresh interval (1 s here)
    await producer.send({
      topic: s.eventTopic,
      acks: -1,
      messages: Array.from({ length: 20 }, (_, i) => ({
        value: JSON.stringify(event(ENV, i % 2 ? 'vendor.created' : 'assessment.completed')),
      })),
    });
    await call('POST', `/v1/environments/${ENV}/webhooks/${w.json.id}/test`, { body: {} });
    await waitFor(
      () => rx.at('/signed').filter((q) => q.headers['coverbase-delivery-attempt'] !== '1').length > 0,
      {
        timeout: 30_000,
      },
    );
    expect((await call('DELETE', `/v1/environments/${ENV}/webhooks/${gone.json.id}`)).status).toBe(204);
    await sleep(8_000); // retries (1 s, 2 s, 4 s tiers) run; deleted webhook's jobs dead-letter

    // Every Kafka topic of this scenario, read in full.
    const admin = s.kafka.admin();
    await admin.connect();
    r.add(admin, (a) => a.disconnect());
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(s.prefix));
    expect(topics.length).toBeGreaterThanOrEqual(6);
    const dumps: { topic: string; text: string }[] = [];
    for (const topic of topics) {
      const tap = r.add(await new TopicTap(s.kafka, topic).start(), (t) => t.stop());
      await waitFor(() => tap.caughtUp(), { timeout: 20_000, interval: 250 });
      const text = tap.records
        .map((q) => `${q.key ?? ''} ${JSON.stringify(q.headers)} ${q.value?.toString('latin1') ?? ''}`)
        .join('\n');
      dumps.push({ topic, text });
    }
    expect(dumps.find((d) => d.topic === s.names.deadLetter)?.text.length).toBeGreaterThan(0);
    const logs = [api.proc, router, sender].map((p) => ({ topic: p.logFile, text: p.logText() }));
    expect(logs.every((l) => l.text.length > 1_000)).toBe(true);

    // And the database: secrets are stored encrypted, API keys as hashes.
    const stored: { topic: string; text: string }[] = [];
    for (const name of ['webhooks', 'deliveries', 'api_keys']) {
      const docs = await s.db.collection(name).find({}).toArray();
      stored.push({ topic: `mongodb ${name}`, text: JSON.stringify(docs) });
    }
    expect(stored[0]!.text.length).toBeGreaterThan(100);

    // Each secret, and the parts an encoder might leave whole (the base64 body of whsec_…).
    const needles = secrets.flatMap((x) => (x.startsWith('whsec_') ? [x, x.slice('whsec_'.length)] : [x]));
    const found: string[] = [];
    for (const hay of [...dumps, ...logs, ...stored]) {
      for (const needle of needles)
        if (hay.text.includes(needle)) found.push(`${needle.slice(0, 8)}… in ${hay.topic}`);
    }
    expect(found).toEqual([]);
    recordOutcome({
      fault: 'secret scan: role logs (debug), every Kafka topic, the database',
      events: 20,
      deliveries: rx.received.length,
      lost: 0,
      duplicated: 0,
      deadLettered: s.deadLetters.records.length,
      recoverMs: null,
      catchUpMs: null,
      notes: `${needles.length} secret strings, ${topics.length} topics, ${logs.reduce((n, l) => n + l.text.length, 0)} bytes of logs, 3 collections: none found (deliveries = requests)`,
    });
  });
});
