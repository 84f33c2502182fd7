import { describe, expect, it } from 'vitest';
import {
  type AttemptRecord,
  type DeliveryUpdate,
  deliveriesCollection,
} from '../../../src/mongo/deliveries.js';
import { DeliveryRecorder } from '../../../src/sender/delivery-recorder.js';
import { resources, testLogger } from '../../support/helpers.js';

function update(id: string, attempt: number, status: DeliveryUpdate['status']): DeliveryUpdate {
  const at = new Date();
  const record: AttemptRecord = {
    attempt,
    at,
    tier: attempt === 1 ? 'deliveries' : '1m',
    outcome: status === 'succeeded' ? 'success' : 'http_5xx',
    status_code: status === 'succeeded' ? 200 : 503,
    latency_ms: 3,
    error: status === 'succeeded' ? null : 'HTTP 503',
  };
  return {
    delivery_id: id,
    webhook_id: 'wh_1',
    environment: 'prod',
    event_id: `evt_${id}`,
    event_type: 'vendor.created',
    event_created_at: at,
    body: '{"event_id":"x"}',
    status,
    attempts: attempt,
    next_attempt_at: status === 'retrying' ? new Date(at.getTime() + 60_000) : null,
    failure_reason: null,
    attempt: record,
    now: at,
  };
}

describe('delivery records', () => {
  const r = resources();

  it('inserts the first outcome, upserts later ones, and absorbs a repeated first outcome', async () => {
    const { db } = await r.mongo();
    const recorder = new DeliveryRecorder(db, testLogger, { mode: 'full' });
    await Promise.all([
      recorder.record(update('dlv_a', 1, 'retrying')),
      recorder.record(update('dlv_b', 1, 'succeeded')),
    ]);
    // record() resolves once the write landed
    expect(await deliveriesCollection(db).countDocuments()).toBe(2);
    await Promise.all([
      recorder.record(update('dlv_a', 2, 'succeeded')),
      recorder.record(update('dlv_b', 1, 'succeeded')), // the job was redelivered after a crash
      recorder.record(update('dlv_c', 1, 'succeeded')),
    ]);
    await recorder.close();

    const docs = await deliveriesCollection(db).find().sort({ _id: 1 }).toArray();
    expect(docs.map((d) => [d._id, d.status, d.attempts, d.last_attempts.map((a) => a.attempt)])).toEqual([
      ['dlv_a', 'succeeded', 2, [1, 2]],
      ['dlv_b', 'succeeded', 1, [1, 1]],
      ['dlv_c', 'succeeded', 1, [1]],
    ]);
    // the later upsert did not carry the body, and did not need to
    expect(docs[0]).toMatchObject({ webhook_id: 'wh_1', environment: 'prod', body: '{"event_id":"x"}' });
    expect(recorder.pending).toBe(0);
  });

  it('while MongoDB is unreachable: writes wait, bounded in bytes, and an abort ends the wait', async () => {
    const { MongoClient } = await import('mongodb');
    // a port nobody listens on: every write fails fast
    const client = new MongoClient('mongodb://127.0.0.1:1/hs_down', { serverSelectionTimeoutMS: 200 });
    r.add(client, (c) => c.close());
    const recorder = new DeliveryRecorder(client.db(), testLogger, { mode: 'full', maxPendingBytes: 4_096 });
    const big = { ...update('dlv_big', 1, 'retrying'), body: 'x'.repeat(3_000) };
    const controller = new AbortController();
    let landed = 0;
    const first = recorder.record(big, controller.signal).then(() => landed++);
    const second = recorder
      .record({ ...big, delivery_id: 'dlv_big2' }, controller.signal)
      .then(() => landed++);
    await new Promise((res) => setTimeout(res, 500));
    expect(landed).toBe(0);
    expect(recorder.pending).toBe(1); // the second waits for room: 2 × 4 KiB do not fit in 4 KiB
    expect(recorder.pendingBytes).toBeLessThanOrEqual(4_096);
    controller.abort(new Error('stopping'));
    await expect(first).rejects.toThrow('stopping');
    await expect(second).rejects.toThrow('stopping');
    expect(landed).toBe(0);
    await recorder.close(300);
  });
});
