/** The health writer on the real MongoDB-protocol server: counts, resets, one disable, few writes. */
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { HealthPolicy } from '../../../src/core/endpoint-health.js';
import {
  healthResetFields,
  WebhookHealthWriter,
  type WebhookWithHealth,
  webhookHealthView,
} from '../../../src/mongo/webhook-health.js';
import { resources, testLogger } from '../../support/helpers.js';
import { insertWebhook } from './support.js';

/** 10 s of failures, at least 3 attempts. */
const policy: HealthPolicy = { disableAfterMs: 10_000, minAttempts: 3 };
const T0 = Date.now() - 60_000;
const at = (seconds: number) => new Date(T0 + seconds * 1000);

describe('WebhookHealthWriter', () => {
  const r = resources();

  async function setup() {
    const { db, uri } = await r.mongo();
    const writer = (p: HealthPolicy = policy) =>
      r.add(new WebhookHealthWriter({ db, policy: p, logger: testLogger }), (w) => w.close());
    const read = async (id: string) =>
      (await db.collection<WebhookWithHealth>('webhooks').findOne({ _id: id }))!;
    return { db, uri, writer, read };
  }

  it('counts failures across flushes and disables with persistent_failure once the window passes', async () => {
    const { db, writer, read } = await setup();
    const hook = await insertWebhook(db, 'prod');
    const w = writer();
    w.record(hook._id, { ok: false, at: at(0) });
    w.record(hook._id, { ok: false, at: at(4) });
    expect(await w.flush()).toEqual([]);
    let doc = await read(hook._id);
    expect(doc).toMatchObject({ enabled: true, failing_since: at(0), failed_attempts: 2 });
    expect(webhookHealthView(doc)).toEqual({
      failing_since: at(0).toISOString(),
      disabled_reason: null,
      disabled_at: null,
    });

    w.record(hook._id, { ok: false, at: at(11) });
    const disabled = await w.flush();
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ webhook_id: hook._id, environment: 'prod', failed_attempts: 3 });
    doc = await read(hook._id);
    expect(doc).toMatchObject({ enabled: false, disabled_reason: 'persistent_failure', failed_attempts: 3 });
    expect(doc.updated_at.getTime()).toBeGreaterThan(hook.updated_at.getTime());
    const view = webhookHealthView(doc);
    expect(view.disabled_reason).toBe('persistent_failure');
    expect(view.disabled_at).toBe(disabled[0]!.disabled_at.toISOString());

    // Late outcomes of a disabled webhook change nothing.
    w.record(hook._id, { ok: false, at: at(20) });
    expect(await w.flush()).toEqual([]);
    expect((await read(hook._id)).failed_attempts).toBe(3);
  });

  it('a success resets the clock; a flapping webhook is never disabled', async () => {
    const { db, writer, read } = await setup();
    const hook = await insertWebhook(db, 'prod');
    const w = writer();
    for (let cycle = 0; cycle < 6; cycle++) {
      const base = cycle * 8;
      for (let s = 0; s < 6; s++) w.record(hook._id, { ok: false, at: at(base + s) });
      expect(await w.flush()).toEqual([]);
      w.record(hook._id, { ok: true, at: at(base + 7) });
      expect(await w.flush()).toEqual([]);
      expect(await read(hook._id)).toMatchObject({ enabled: true, failing_since: null, failed_attempts: 0 });
    }
    expect((await read(hook._id)).last_success_at).toEqual(at(47));
  });

  it('two senders disabling the same webhook at once: exactly one of them reports it', async () => {
    const { db, writer, read } = await setup();
    const hooks = await Promise.all([1, 2, 3].map(() => insertWebhook(db, 'prod')));
    const [a, b] = [writer(), writer()];
    for (const w of [a, b]) {
      for (const hook of hooks) for (let s = 0; s <= 12; s += 3) w.record(hook._id, { ok: false, at: at(s) });
    }
    const [da, db2] = await Promise.all([a.flush(), b.flush()]);
    expect([...da, ...db2].map((d) => d.webhook_id).sort()).toEqual(hooks.map((h) => h._id).sort());
    for (const hook of hooks) expect((await read(hook._id)).enabled).toBe(false);
  });

  it('writes at most one update per webhook per flush, however many outcomes', async () => {
    const { db, uri } = await setup();
    const hook = await insertWebhook(db, 'prod');
    const client = r.add(await new MongoClient(uri, { monitorCommands: true }).connect(), (c) => c.close());
    const updates: CommandStartedEvent[] = [];
    client.on('commandStarted', (e) => {
      if (e.commandName === 'update') updates.push(e);
    });
    const w = r.add(
      new WebhookHealthWriter({
        db: client.db(),
        policy: { ...policy, disableAfterMs: 0 },
        logger: testLogger,
      }),
      (x) => x.close(),
    );
    for (let i = 0; i < 2_000; i++) w.record(hook._id, { ok: i % 500 === 0, at: new Date(T0 + i) });
    await w.flush();
    expect(updates).toHaveLength(1);
    const doc = (await client.db().collection<WebhookWithHealth>('webhooks').findOne({ _id: hook._id }))!;
    // The last success was outcome 1500; 499 failures after it.
    expect(doc.failed_attempts).toBe(499);
    expect(doc.failing_since).toEqual(new Date(T0 + 1501));
  });

  it('a healthy webhook writes last_success_at at most once a minute; close writes the newest', async () => {
    const { db, writer, read } = await setup();
    const hook = await insertWebhook(db, 'prod');
    const w = writer();
    w.record(hook._id, { ok: true, at: at(0) });
    await w.flush();
    expect((await read(hook._id)).last_success_at).toEqual(at(0));
    // Within the resolution (60 s): nothing written, the success stays pending.
    w.record(hook._id, { ok: true, at: at(30) });
    await w.flush();
    expect((await read(hook._id)).last_success_at).toEqual(at(0));
    expect(w.pendingWebhooks).toBe(1);
    w.record(hook._id, { ok: true, at: at(60) });
    await w.flush();
    expect((await read(hook._id)).last_success_at).toEqual(at(60));
    expect(w.pendingWebhooks).toBe(0);
    // A failure after a deferred success is written at once, with that success.
    w.record(hook._id, { ok: true, at: at(70) });
    await w.flush();
    w.record(hook._id, { ok: false, at: at(71) });
    await w.flush();
    expect(await read(hook._id)).toMatchObject({ last_success_at: at(70), failing_since: at(71) });
    w.record(hook._id, { ok: true, at: at(80) });
    await w.flush();
    w.record(hook._id, { ok: true, at: at(90) });
    await w.flush();
    expect((await read(hook._id)).last_success_at).toEqual(at(80));
    await w.close();
    expect((await read(hook._id)).last_success_at).toEqual(at(90));
  });

  it('after a re-enable the clock starts again from the reset', async () => {
    const { db, writer, read } = await setup();
    const hook = await insertWebhook(db, 'prod', {
      enabled: true,
      ...({ failing_since: at(0), failed_attempts: 50 } as object),
    });
    await db
      .collection<WebhookWithHealth>('webhooks')
      .updateOne({ _id: hook._id }, { $set: healthResetFields(at(30)) });
    const w = writer();
    w.record(hook._id, { ok: false, at: at(31) });
    expect(await w.flush()).toEqual([]);
    expect(await read(hook._id)).toMatchObject({ enabled: true, failing_since: at(31), failed_attempts: 1 });
  });
});
