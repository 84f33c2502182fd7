import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { EventDedupe, expiryModeAfter, seenId } from '../../../src/mongo/dedupe.js';
import { testLogger } from '../../support/helpers.js';

/** A Db double that records index creation and answers createIndex as told. */
function fakeDb(createIndex: (spec: object, opts: { expireAfterSeconds?: number }) => void) {
  const indexes: { spec: object; opts: object }[] = [];
  const db = {
    collection: () => ({
      async createIndex(spec: object, opts: { expireAfterSeconds?: number }) {
        createIndex(spec, opts);
        indexes.push({ spec, opts });
        return 'ok';
      },
    }),
  } as unknown as Db;
  return { db, indexes };
}

const refusedTtl = Object.assign(new Error('Index option "expireAfterSeconds" is not implemented yet'), {
  code: 238,
  codeName: 'NotImplemented',
});

describe('ingest dedupe expiry (capability decision)', () => {
  it('uses the TTL index when the server creates it, the sweeper when it refuses TTL indexes', () => {
    expect(expiryModeAfter(null)).toBe('ttl_index');
    expect(expiryModeAfter(refusedTtl)).toBe('sweeper');
    expect(expiryModeAfter({ code: 197 })).toBe('sweeper');
    const down = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError' });
    expect(() => expiryModeAfter(down)).toThrow(/ECONNREFUSED/);
  });

  it('on a server with TTL indexes (MongoDB 7, simulated): one TTL index, no sweeper', async () => {
    const { db, indexes } = fakeDb(() => {});
    const d = new EventDedupe(db, { windowMs: 86_400_000, logger: testLogger });
    await d.start();
    expect(d.mode).toBe('ttl_index');
    expect(indexes).toEqual([
      { spec: { expires_at: 1 }, opts: { name: 'expires_at_ttl', expireAfterSeconds: 0 } },
    ]);
    d.close();
  });

  it('on a server without (FerretDB, simulated): a plain index and the sweeper', async () => {
    const { db, indexes } = fakeDb((_spec, opts) => {
      if (opts.expireAfterSeconds !== undefined) throw refusedTtl;
    });
    const d = new EventDedupe(db, { windowMs: 86_400_000, logger: testLogger });
    await d.start();
    expect(d.mode).toBe('sweeper');
    expect(indexes).toEqual([{ spec: { expires_at: 1 }, opts: { name: 'expires_at' } }]);
    d.close();
    d.close();
  });

  it('keys marks by environment and event id, which cannot collide', () => {
    expect(seenId('prod', 'a/b')).toBe('prod/a/b');
    expect(seenId('prod', 'a/b')).not.toBe(seenId('prod-a', 'b'));
    expect(() => new EventDedupe(fakeDb(() => {}).db, { windowMs: 0, logger: testLogger })).toThrow(
      RangeError,
    );
  });
});

describe('HOOKSTREAM_DEDUPE_WINDOW', () => {
  it('defaults to 24 h, takes durations, and a bare 0 turns deduplication off', async () => {
    const { loadConfig } = await import('../../../src/config/config.js');
    const base = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/hs' };
    const windowOf = (v?: string) =>
      loadConfig(v === undefined ? base : { ...base, HOOKSTREAM_DEDUPE_WINDOW: v }).dedupeWindowMs;
    expect(windowOf()).toBe(86_400_000);
    expect(windowOf('10m')).toBe(600_000);
    expect(windowOf('0')).toBe(0);
    expect(() => windowOf('soon')).toThrow(/HOOKSTREAM_DEDUPE_WINDOW/);
  });
});
