import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { DeliveryUpdate } from '../../../src/mongo/deliveries.js';
import { DeliveryRecorder } from '../../../src/sender/delivery-recorder.js';
import { testLogger } from '../../support/helpers.js';

/** A Db whose bulkWrite records the kinds of operations of each call and succeeds. */
function recordingDb() {
  const calls: string[][] = [];
  const db = {
    collection: () => ({
      async bulkWrite(ops: Record<string, unknown>[]) {
        calls.push(ops.map((op) => Object.keys(op)[0]!));
        return {};
      },
    }),
  } as unknown as Db;
  return { db, calls };
}

function update(i: number, attempts: number): DeliveryUpdate {
  return {
    delivery_id: `dlv_${i}`,
    webhook_id: 'wh_1',
    environment: 'prod',
    event_id: `evt_${i}`,
    event_type: 'vendor.created',
    event_created_at: new Date(0),
    body: '{}',
    status: 'retrying',
    attempts,
    next_attempt_at: null,
    failure_reason: null,
    attempt: null,
    now: new Date(0),
  };
}

describe('DeliveryRecorder batches', () => {
  it('puts at most 32 updates in one bulkWrite (FerretDB takes ~25 ms each, and hangs on 100), inserts up to the batch size, in queue order', async () => {
    const { db, calls } = recordingDb();
    const recorder = new DeliveryRecorder(db, testLogger, { mode: 'full', maxBatch: 1_000, lingerMs: 5 });
    const writes = [
      ...Array.from({ length: 70 }, (_, i) => recorder.record(update(i, 2))), // later attempts: updates
      ...Array.from({ length: 300 }, (_, i) => recorder.record(update(1_000 + i, 1))), // first: inserts
    ];
    await Promise.all(writes);
    await recorder.close();
    expect(
      calls.map((c) => [
        c.filter((k) => k === 'updateOne').length,
        c.filter((k) => k === 'insertOne').length,
      ]),
    ).toEqual([
      [32, 0],
      [32, 0],
      [6, 300],
    ]);
  });
});
