import { describe, expect, it } from 'vitest';
import { EventDedupe, seenId } from '../../../src/mongo/dedupe.js';
import { resources, testLogger, waitFor } from '../../support/helpers.js';

const HOUR = 3_600_000;

describe('ingest dedupe store on the test server (FerretDB here, MongoDB 7 elsewhere)', () => {
  const r = resources();

  it('detects the expiry mode: TTL index on MongoDB, sweeper where TTL indexes are refused', async () => {
    const { db } = await r.mongo();
    const info = await db.admin().command({ buildInfo: 1 });
    const d = r.add(new EventDedupe(db, { windowMs: HOUR, logger: testLogger }), (x) => x.close());
    await d.start();
    expect(d.mode).toBe(info.ferretdbVersion === undefined ? 'ttl_index' : 'sweeper');
  });

  it('remembers routed events for the window only, and the sweeper deletes expired marks', async () => {
    const { db } = await r.mongo();
    let now = new Date('2026-12-07T12:00:00Z');
    const d = r.add(
      new EventDedupe(db, {
        windowMs: HOUR,
        logger: testLogger,
        mode: 'sweeper',
        sweepIntervalMs: 50,
        now: () => now,
      }),
      (x) => x.close(),
    );
    await d.start();
    const a = seenId('prod', 'evt_a');
    const b = seenId('prod', 'evt_b');
    expect(await d.seen([a, b], now)).toEqual(new Set());
    await d.markRouted([a], now);
    await d.markRouted([a], now); // idempotent
    // b was seen (claimed) but never marked routed — a crash before its jobs were acknowledged:
    // it is routed again, never skipped.
    expect(await d.seen([a, b, seenId('staging', 'evt_a')], now)).toEqual(new Set([a]));
    // Just inside the window, then past it (ignored even before it is swept).
    expect(await d.seen([a], new Date(now.getTime() + HOUR - 1))).toEqual(new Set([a]));
    expect(await d.seen([a], new Date(now.getTime() + HOUR + 1))).toEqual(new Set());
    const col = db.collection<{ _id: string; expires_at: Date }>('events_seen');
    // Claims of a, b, staging/a and the routed mark of a.
    expect(await col.countDocuments()).toBe(4);
    now = new Date(now.getTime() + HOUR + 1);
    await waitFor(async () => (await col.countDocuments({ expires_at: { $lte: now } })) === 0, {
      message: 'expired marks swept',
    });
    // What is left is a's claim, renewed when a came again past the window (it is being routed anew).
    expect((await col.find().toArray()).map((x) => x._id)).toEqual([a]);
  });

  it('marks again an event whose mark expired but was not swept yet', async () => {
    const { db } = await r.mongo();
    const d = r.add(
      new EventDedupe(db, {
        windowMs: HOUR,
        logger: testLogger,
        mode: 'sweeper',
        sweepIntervalMs: 3_600_000,
      }),
      (x) => x.close(),
    );
    await d.start();
    const t0 = new Date('2026-12-07T12:00:00Z');
    const t1 = new Date(t0.getTime() + 2 * HOUR);
    const [a, b] = [seenId('prod', 'evt_a'), seenId('prod', 'evt_b')];
    await d.markRouted([a], t0);
    expect(await d.seen([a, b], t1)).toEqual(new Set());
    await d.markRouted([a, b, b], t1);
    expect(await d.seen([a, b], t1)).toEqual(new Set([a, b]));
    // A claim and a routed mark per event.
    expect(await db.collection('events_seen').countDocuments()).toBe(4);
  });
});
