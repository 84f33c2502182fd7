/**
 * The MongoDB-protocol server (FerretDB) stopped for 30 s in the middle of a load. Expected: the
 * router keeps routing from its cached webhook index, the senders keep sending with their cached
 * webhooks, the delivery records written meanwhile wait in memory and catch up afterwards, and the
 * admin API answers 503 while the database is away (and 200 again after).
 */
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { deliveriesCollection } from '../../src/mongo/deliveries.js';
import { resources, sleep, waitFor } from '../support/helpers.js';
import { seededRandom } from './ledger.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { ADMIN_API_KEY, apiRole, createScenario, ENVIRONMENT } from './support/scenario.js';
import { startService, stopService } from './support/stack.js';

const OUTAGE_MS = 30_000;

async function listWebhooks(base: string): Promise<number> {
  const res = await fetch(`${base}/v1/environments/${ENVIRONMENT}/webhooks`, {
    headers: { authorization: `Bearer ${ADMIN_API_KEY}` },
    signal: AbortSignal.timeout(15_000),
  });
  return res.status;
}

describe('MongoDB outage', () => {
  const r = resources();
  const roles = roleProcesses();

  it('stopped for 30 s during load: routing and sending continue, records catch up, the API answers 503', async () => {
    const random = seededRandom(4);
    const s = await createScenario(r, roles, 'mongo-outage', {
      behaviour: () => ({ status: random() < 0.1 ? 500 : 200, delayMs: Math.floor(random() * 30) }),
      env: { HOOKSTREAM_RETRY_BUDGET: '60s', HOOKSTREAM_DELIVERY_RECORDS: 'full' },
    });
    const router = await s.role('router', ['router']).start();
    const sender = await s.role('sender', ['sender', '--tier', 'all']).start();
    const api = await apiRole(s);
    await api.proc.start();
    expect(await listWebhooks(api.base)).toBe(200);
    // FerretDB's SQLite backend updates by _id with a scan (O(n) per write, tens of ms at a few
    // thousand records) and serialises a database's operations: a modest load keeps the record
    // backlog something it can take in, so what is measured is hookstream, not FerretDB.
    const load = s.load({ count: 600, perSecond: 10 });

    await load.until(100);
    const stoppedAt = Date.now();
    const apiDuringOutage: number[] = [];
    let restartedAt: number;
    let deliveredDuringOutage: number;
    try {
      await stopService('ferretdb');
      const t0 = Date.now();
      while (Date.now() - t0 < OUTAGE_MS) {
        apiDuringOutage.push(await listWebhooks(api.base).catch(() => -1));
        await sleep(3_000);
      }
      deliveredDuringOutage = s.ledger.successesBetween(stoppedAt + 5_000, Date.now());
    } finally {
      await startService('ferretdb');
      restartedAt = Date.now();
    }
    await load.done;
    const settledAt = await s.settle({ timeoutMs: 180_000 });

    const rec = s.ledger.reconcile(s.schedule);
    process.stderr.write(
      `mongo outage: ${JSON.stringify({ ...rec, lost: rec.lost.length, deliveredDuringOutage, apiDuringOutage })}\n`,
    );
    expect(rec.lost).toEqual([]);
    expect(rec.unexpected).toBe(0);
    expect(rec.badSignatures).toBe(0);
    expect(rec.deadLetteredTwice).toEqual([]);
    expect(rec.early).toEqual([]);
    // Routing and sending went on: events produced during the outage were delivered during it.
    expect(deliveredDuringOutage).toBeGreaterThan(0);
    const producedDuring = s.ledger.expectedProducedBetween(stoppedAt, restartedAt);
    expect(s.ledger.firstDeliveryOfEventsSince(stoppedAt + 5_000)).toBeLessThan(restartedAt);
    // The API: 503 while the database was away (the first probe may still find a live connection).
    expect(apiDuringOutage.slice(1).every((status) => status === 503)).toBe(true);
    await waitFor(async () => (await listWebhooks(api.base)) === 200, { timeout: 90_000, interval: 1_000 });

    // Delivery records caught up: one per delivery, succeeded where the receiver answered 2xx.
    const client = await new MongoClient(s.mongoUri).connect();
    r.add(client, (c) => c.close());
    const records = deliveriesCollection(client.db());
    const recordsAt = await waitFor(
      async () =>
        (await records.countDocuments({ status: 'succeeded' })) === rec.delivered - rec.deadLettered
          ? Date.now()
          : null,
      { timeout: 60_000, interval: 500, message: 'every delivery recorded as succeeded' },
    );
    expect(await records.countDocuments({})).toBe(rec.expected);
    for (const role of [router, sender, api.proc]) {
      expect(role.crashes).toEqual([]);
      expect(role.starts).toBe(1);
    }

    recordOutcome({
      fault: 'FerretDB (MongoDB) stopped 30 s during load',
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: 0,
      catchUpMs: Math.max(settledAt, recordsAt) - restartedAt,
      notes: `kept delivering during the outage (${producedDuring} deliveries produced in it); API 503 meanwhile; records complete ${((recordsAt - restartedAt) / 1000).toFixed(1)} s after restart`,
    });
  });
});
