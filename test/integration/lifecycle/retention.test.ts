/** Retention on the real MongoDB-protocol server (FerretDB here: no TTL, so through the sweeper). */
import { describe, expect, it } from 'vitest';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { LEASES_COLLECTION } from '../../../src/mongo/lease.js';
import {
  ensureRetention,
  indexName,
  RetentionSweeper,
  type RetentionTarget,
} from '../../../src/mongo/retention.js';
import type { Component } from '../../../src/roles/lifecycle.js';
import { retentionTargets, startRetention } from '../../../src/roles/retention.js';
import { resources, testLogger } from '../../support/helpers.js';
import { deliveryRecord, insertDeliveries } from './support.js';

describe('retention', () => {
  const r = resources();

  it('detects whether the server enforces TTL and leaves the index the sweeper needs either way', async () => {
    const { db } = await r.mongo();
    const target: RetentionTarget = { collection: 'deliveries', field: 'updated_at', retentionMs: 5_000 };
    const mode = await ensureRetention(db, target);
    const build = await db.command({ buildInfo: 1 });
    expect(mode).toBe(build.ferretdbVersion === undefined ? 'ttl' : 'sweeper');
    // Idempotent, and the index is there for the sweeper's range scan.
    expect(await ensureRetention(db, target)).toBe(mode);
    const index = (await deliveriesCollection(db).listIndexes().toArray()).find(
      (i) => i.name === indexName(target),
    );
    expect(index?.key).toEqual({ updated_at: 1 });
  });

  it('with a retention of seconds, old delivery records go and new ones stay (sweeper, in small batches)', async () => {
    const { db } = await r.mongo();
    const [records] = retentionTargets({ recordRetentionMs: 5_000 }, db);
    await ensureRetention(db, records!);
    // The sweeper's clock, placed inside the working part of a lease term: the test controls time,
    // so a slow shared machine cannot age the fresh records out before the old ones are gone.
    const TERM = 600_000;
    let clock = Math.floor(Date.now() / TERM) * TERM + 60_000;
    const old = Array.from({ length: 23 }, (_, i) =>
      deliveryRecord('prod', `old-${i}`, 'wh_a', new Date(clock - 60_000 - i * 1000)),
    );
    const fresh = Array.from({ length: 5 }, (_, i) =>
      deliveryRecord('prod', `new-${i}`, 'wh_a', new Date(clock - i)),
    );
    await insertDeliveries(db, [...old, ...fresh]);

    const sweeper = r.add(
      new RetentionSweeper({
        db,
        targets: [records!],
        logger: testLogger,
        batchSize: 5,
        pauseMs: 10,
        intervalMs: TERM,
        now: () => new Date(clock),
      }),
      (s) => s.close(),
    );
    expect(await sweeper.sweepOnce()).toEqual([{ collection: 'deliveries', removed: 23, partial: false }]);
    const col = deliveriesCollection(db);
    const left = await col.find({}, { projection: { event_id: 1 } }).toArray();
    expect(left.map((d) => d.event_id).sort()).toEqual(fresh.map((d) => d.event_id).sort());

    // Once the fresh ones pass the retention, they go too.
    clock += 10_000;
    expect(await sweeper.sweepOnce()).toEqual([{ collection: 'deliveries', removed: 5, partial: false }]);
    expect(await col.countDocuments({})).toBe(0);
  });

  it('exactly one of several replicas sweeps in a lease term', async () => {
    const { db } = await r.mongo();
    const target: RetentionTarget = { collection: 'marks', field: 'created_at', retentionMs: 1_000 };
    await ensureRetention(db, target);
    await db.collection('marks').insertMany(
      Array.from({ length: 10 }, (_, i) => ({
        _id: `m${i}` as unknown as never,
        created_at: new Date(Date.now() - 10_000),
      })),
    );
    const sweepers = [1, 2, 3, 4].map((i) =>
      r.add(
        new RetentionSweeper({
          db,
          targets: [target],
          logger: testLogger,
          holder: `replica-${i}`,
          intervalMs: 600_000,
        }),
        (s) => s.close(),
      ),
    );
    const results = await Promise.all(sweepers.map((s) => s.sweepOnce()));
    const working = results.filter((x) => x !== null);
    expect(working).toHaveLength(1);
    expect(working[0]).toEqual([{ collection: 'marks', removed: 10, partial: false }]);
    expect(await db.collection(LEASES_COLLECTION).countDocuments({})).toBe(1);
    // The holder keeps its term; the others keep waiting.
    expect((await Promise.all(sweepers.map((s) => s.sweepOnce()))).filter((x) => x !== null)).toHaveLength(1);
  });

  it('startRetention covers every target and starts a sweeper only where the server has no TTL', async () => {
    const { db } = await r.mongo();
    const started: Component[] = [];
    const config = { recordRetentionMs: 30 * 86_400_000 } as Parameters<typeof startRetention>[0]['config'];
    await startRetention({ config, logger: testLogger, started }, db);
    const ferret = (await db.command({ buildInfo: 1 })).ferretdbVersion !== undefined;
    expect(started.map((c) => c.name)).toEqual(ferret ? ['retention sweeper'] : []);
    for (const t of retentionTargets(config, db)) {
      const names = (await db.collection(t.collection).listIndexes().toArray()).map((i) => i.name);
      expect(names, t.collection).toContain(indexName(t));
    }
    for (const c of started) await c.close();
  });
});
