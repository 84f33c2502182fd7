import { describe, expect, it } from 'vitest';
import { HookstreamError } from '../../../src/core/errors.js';
import { mapMongoError } from '../../../src/mongo/errors.js';
import { resources } from '../../support/helpers.js';

describe('MongoDB-protocol plumbing on the real server', () => {
  const r = resources();

  it('a unique compound index rejects a duplicate, mapped to a CONFLICT error', async () => {
    const { db } = await r.mongo();
    const things = db.collection<{ environment: string; name: string; n: number }>('things');
    await things.createIndex({ environment: 1, name: 1 }, { unique: true, name: 'environment_name_unique' });
    await things.insertOne({ environment: 'prod', name: 'a', n: 1 });
    await things.insertOne({ environment: 'dev', name: 'a', n: 2 }); // other environment: allowed

    const err = await things.insertOne({ environment: 'prod', name: 'a', n: 3 }).then(
      () => null,
      (e: unknown) => mapMongoError(e, 'thing prod/a'),
    );
    expect(err).toBeInstanceOf(HookstreamError);
    expect((err as HookstreamError).code).toBe('CONFLICT');
    expect((err as HookstreamError).message).toBe('thing prod/a already exists');
    expect(await things.countDocuments({ environment: 'prod', name: 'a' })).toBe(1);
    expect((await things.findOne({ environment: 'prod', name: 'a' }))?.n).toBe(1);
  });
});
