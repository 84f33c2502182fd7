import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliveryId } from '../../../src/core/ids.js';
import {
  type AttemptRecord,
  type DeliveryStatus,
  deliveriesCollection,
  deliveryUpsert,
} from '../../../src/mongo/deliveries.js';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, type TestApi, webhookInput } from './support.js';

interface Seed {
  readonly webhookId: string;
  readonly environment: string;
  readonly status: DeliveryStatus;
  readonly at: Date;
  readonly eventType?: string;
  readonly attempts?: number;
}

describe('admin API: delivery history, retry, replay and test sends', () => {
  const r = resources('all');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r);
  });

  async function webhook(env: string, overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput(overrides) });
    expect(res.status).toBe(201);
    return res.json.id;
  }

  /** Writes a delivery record the way senders do (one upsert per attempt). */
  async function seed(s: Seed): Promise<{ id: string; eventId: string; body: string }> {
    const eventId = `evt_${randomBytes(8).toString('hex')}`;
    const id = deliveryId(eventId, s.webhookId);
    const eventType = s.eventType ?? 'vendor.created';
    const body = JSON.stringify({
      event_id: eventId,
      event_type: eventType,
      environment: s.environment,
      data: { n: 1 },
    });
    const attempts = s.attempts ?? 1;
    for (let n = 1; n <= attempts; n++) {
      const attempt: AttemptRecord = {
        attempt: n,
        at: s.at,
        tier: n === 1 ? 'deliveries' : '1m',
        outcome: s.status === 'succeeded' && n === attempts ? 'success' : 'http_5xx',
        status_code: s.status === 'succeeded' && n === attempts ? 200 : 503,
        latency_ms: 12 + n,
        error: s.status === 'succeeded' && n === attempts ? null : 'HTTP 503',
      };
      await deliveriesCollection(api.db).bulkWrite([
        deliveryUpsert({
          delivery_id: id,
          webhook_id: s.webhookId,
          environment: s.environment,
          event_id: eventId,
          event_type: eventType,
          event_created_at: new Date(s.at.getTime() - 1000),
          body,
          status: n === attempts ? s.status : 'retrying',
          attempts: n,
          next_attempt_at: s.status === 'retrying' ? new Date(s.at.getTime() + 60_000) : null,
          failure_reason: s.status === 'failed' && n === attempts ? 'budget_exhausted' : null,
          attempt,
          now: s.at,
        }),
      ]);
    }
    return { id, eventId, body };
  }

  it('lists a webhook’s deliveries newest first, with attempts and without bodies, filtered and paged', async () => {
    const env = envName();
    const wh = await webhook(env);
    const other = await webhook(env);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const at = (min: number) => new Date(t0 + min * 60_000);
    const a = await seed({ webhookId: wh, environment: env, status: 'succeeded', at: at(0) });
    const b = await seed({ webhookId: wh, environment: env, status: 'failed', at: at(1), attempts: 3 });
    const c = await seed({
      webhookId: wh,
      environment: env,
      status: 'retrying',
      at: at(2),
      eventType: 'contract.analyzed',
    });
    const d = await seed({
      webhookId: wh,
      environment: env,
      status: 'failed',
      at: at(3),
      eventType: 'contract.analyzed',
    });
    await seed({ webhookId: other, environment: env, status: 'failed', at: at(4) });

    const path = `/v1/environments/${env}/webhooks/${wh}/deliveries`;
    const all = await api.call('GET', path);
    expect(all.status).toBe(200);
    expect(all.json.data.map((x: { id: string }) => x.id)).toEqual([d.id, c.id, b.id, a.id]);
    expect(all.json.next_cursor).toBeNull();
    const failed = all.json.data[2];
    expect(failed).toMatchObject({
      id: b.id,
      webhook_id: wh,
      environment: env,
      event_id: b.eventId,
      event_type: 'vendor.created',
      status: 'failed',
      attempt_count: 3,
      failure_reason: 'budget_exhausted',
      next_attempt_at: null,
      created_at: at(1).toISOString(),
    });
    expect(failed.attempts).toEqual([
      {
        attempt: 1,
        at: at(1).toISOString(),
        tier: 'deliveries',
        outcome: 'http_5xx',
        status_code: 503,
        latency_ms: 13,
        error: 'HTTP 503',
      },
      {
        attempt: 2,
        at: at(1).toISOString(),
        tier: '1m',
        outcome: 'http_5xx',
        status_code: 503,
        latency_ms: 14,
        error: 'HTTP 503',
      },
      {
        attempt: 3,
        at: at(1).toISOString(),
        tier: '1m',
        outcome: 'http_5xx',
        status_code: 503,
        latency_ms: 15,
        error: 'HTTP 503',
      },
    ]);
    expect(all.json.data[0].body).toBeUndefined();

    const ids = async (query: string) =>
      (await api.call('GET', `${path}?${query}`)).json.data.map((x: { id: string }) => x.id);
    expect(await ids('status=failed')).toEqual([d.id, b.id]);
    expect(await ids('event_type=contract.analyzed')).toEqual([d.id, c.id]);
    expect(await ids('status=failed&event_type=contract.analyzed')).toEqual([d.id]);
    expect(await ids(`since=${at(1).toISOString()}&until=${at(3).toISOString()}`)).toEqual([c.id, b.id]);
    expect(await ids('since=2026-01-01T00:02:00%2B00:00')).toEqual([d.id, c.id]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.call('GET', `${path}?${q}`);
      paged.push(...page.json.data.map((x: { id: string }) => x.id));
      cursor = page.json.next_cursor;
    } while (cursor !== null);
    expect(paged).toEqual([d.id, c.id, b.id, a.id]);

    const bad = await api.call('GET', `${path}?status=exploded`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^status: must be one of/);
    expect((await api.call('GET', `${path}?cursor=garbage`)).status).toBe(400);
    expect((await api.call('GET', `/v1/environments/${env}/webhooks/wh_unknown/deliveries`)).status).toBe(
      404,
    );
  });

  it('reads one delivery with its attempts and body; 404 for unknown ids and other environments', async () => {
    const env = envName();
    const wh = await webhook(env);
    const s = await seed({
      webhookId: wh,
      environment: env,
      status: 'succeeded',
      at: new Date(),
      attempts: 2,
    });
    const res = await api.call('GET', `/v1/environments/${env}/deliveries/${s.id}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: s.id, status: 'succeeded', attempt_count: 2, body: s.body });
    expect(res.json.attempts.map((x: { status_code: number }) => x.status_code)).toEqual([503, 200]);
    expect((await api.call('GET', `/v1/environments/${env}/deliveries/dlv_nope`)).status).toBe(404);
    expect((await api.call('GET', `/v1/environments/${envName()}/deliveries/${s.id}`)).status).toBe(404);
  });

  it('retries one delivery: same ids and body, next attempt number, fresh budget; a second retry is 409', async () => {
    const env = envName();
    const wh = await webhook(env);
    const s = await seed({
      webhookId: wh,
      environment: env,
      status: 'failed',
      at: new Date(Date.now() - 3600_000),
      attempts: 3,
    });
    const before = Date.now();
    const res = await api.call('POST', `/v1/environments/${env}/deliveries/${s.id}/retry`);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ delivery_id: s.id, event_id: s.eventId, attempt: 4 });

    const [job] = await api.jobsFor((j) => j.delivery_id === s.id);
    expect(job).toMatchObject({
      delivery_id: s.id,
      event_id: s.eventId,
      event_type: 'vendor.created',
      environment: env,
      webhook_id: wh,
      attempt: 4,
      first_attempt_at: null,
      replay: true,
      body: s.body,
      kafka_key: wh,
    });
    expect(job!.due_at).toBeGreaterThanOrEqual(before - 5);
    expect(job!.due_at).toBeLessThanOrEqual(Date.now());

    const record = await api.call('GET', `/v1/environments/${env}/deliveries/${s.id}`);
    expect(record.json).toMatchObject({ status: 'pending', failure_reason: null });
    expect(Date.parse(record.json.next_attempt_at)).toBe(job!.due_at);

    const again = await api.call('POST', `/v1/environments/${env}/deliveries/${s.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('CONFLICT');
    expect((await api.call('POST', `/v1/environments/${env}/deliveries/dlv_nope/retry`)).status).toBe(404);
  });

  it('refuses to retry, replay or test-send for a disabled webhook (409)', async () => {
    const env = envName();
    const wh = await webhook(env, { enabled: false });
    const s = await seed({ webhookId: wh, environment: env, status: 'failed', at: new Date() });
    const base = `/v1/environments/${env}`;
    for (const [path, body] of [
      [`${base}/deliveries/${s.id}/retry`, undefined],
      [`${base}/webhooks/${wh}/replay`, { since: '2020-01-01T00:00:00Z' }],
      [`${base}/webhooks/${wh}/test`, undefined],
    ] as const) {
      const res = await api.call('POST', path, { body });
      expect(res.status, path).toBe(409);
      expect(res.json.error.message).toContain('disabled');
    }
    expect((await api.call('GET', `${base}/deliveries/${s.id}`)).json.status).toBe('failed');
  });

  it('replays every failed delivery since T, bounded by limit, and answers how many were queued', async () => {
    const env = envName();
    const wh = await webhook(env);
    const other = await webhook(env);
    const now = Date.now();
    const since = new Date(now - 3600_000);
    const old = await seed({
      webhookId: wh,
      environment: env,
      status: 'failed',
      at: new Date(since.getTime() - 60_000),
    });
    const recent = [];
    for (let i = 0; i < 4; i++) {
      recent.push(
        await seed({
          webhookId: wh,
          environment: env,
          status: 'failed',
          at: new Date(since.getTime() + (i + 1) * 60_000),
          attempts: 2,
        }),
      );
    }
    const ok = await seed({
      webhookId: wh,
      environment: env,
      status: 'succeeded',
      at: new Date(now - 60_000),
    });
    const elsewhere = await seed({
      webhookId: other,
      environment: env,
      status: 'failed',
      at: new Date(now - 60_000),
    });
    const path = `/v1/environments/${env}/webhooks/${wh}/replay`;

    const first = await api.call('POST', path, { body: { since: since.toISOString(), limit: 3 } });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ queued: 3 });
    const rest = await api.call('POST', path, { body: { since: since.toISOString() } });
    expect(rest.json).toEqual({ queued: 1 });
    expect((await api.call('POST', path, { body: { since: since.toISOString() } })).json).toEqual({
      queued: 0,
    });

    const jobs = await api.jobsFor((j) => j.webhook_id === wh, 4);
    expect(jobs.map((j) => j.delivery_id).sort()).toEqual(recent.map((s) => s.id).sort());
    for (const job of jobs) {
      const s = recent.find((x) => x.id === job.delivery_id)!;
      expect(job).toMatchObject({
        event_id: s.eventId,
        body: s.body,
        attempt: 3,
        first_attempt_at: null,
        replay: true,
      });
    }
    const status = async (id: string) =>
      (await api.call('GET', `/v1/environments/${env}/deliveries/${id}`)).json.status;
    for (const s of recent) expect(await status(s.id)).toBe('pending');
    expect(await status(old.id)).toBe('failed');
    expect(await status(ok.id)).toBe('succeeded');
    expect(await status(elsewhere.id)).toBe('failed');
    expect(api.jobs.some((j) => j.delivery_id === old.id || j.delivery_id === elsewhere.id)).toBe(false);

    for (const body of [
      {},
      { since: 'yesterday' },
      { since: since.toISOString(), limit: 10_001 },
      { since: since.toISOString(), limit: 0 },
    ]) {
      const res = await api.call('POST', path, { body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.json.error.message).toMatch(/^(since|limit)/);
    }
  });

  it('sends a webhook.test event to that webhook only, through the deliveries topic', async () => {
    const env = envName();
    const wh = await webhook(env);
    const res = await api.call('POST', `/v1/environments/${env}/webhooks/${wh}/test`, {
      body: { message: 'hello there' },
    });
    expect(res.status).toBe(202);
    expect(res.json.event_id).toMatch(/^evt_test_[0-9a-f]{32}$/);
    expect(res.json.delivery_id).toBe(deliveryId(res.json.event_id, wh));

    const [job] = await api.jobsFor((j) => j.event_id === res.json.event_id);
    expect(job).toMatchObject({
      delivery_id: res.json.delivery_id,
      event_type: 'webhook.test',
      environment: env,
      webhook_id: wh,
      attempt: 1,
      first_attempt_at: null,
      kafka_key: wh,
    });
    expect(job!.replay).toBeUndefined();
    const body = JSON.parse(job!.body);
    expect(body).toEqual({
      event_id: res.json.event_id,
      event_type: 'webhook.test',
      environment: env,
      created_at: job!.created_at,
      data: { webhook_id: wh, message: 'hello there' },
    });

    const plain = await api.call('POST', `/v1/environments/${env}/webhooks/${wh}/test`);
    expect(plain.status).toBe(202);
    const [second] = await api.jobsFor((j) => j.event_id === plain.json.event_id);
    expect(JSON.parse(second!.body).data.message).toMatch(/test event/);
  });
});
