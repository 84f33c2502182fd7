/** The API's request pipeline without a database: auth before validation, error shapes, OpenAPI. */
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiError } from '../../../src/api/errors.js';
import { buildApiServer } from '../../../src/api/server.js';
import { HookstreamError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/observability/logger.js';

const ADMIN = 'unit-test-admin-key-0123456789';
/** Any database access fails the test: these requests must be answered before reaching MongoDB. */
const noDb = new Proxy({} as Db, {
  get(_t, prop) {
    throw new Error(`unexpected database access: ${String(prop)}`);
  },
});

describe('admin API request handling (no database)', () => {
  const app = buildApiServer({
    config: {
      adminApiKey: ADMIN,
      secretKey: Buffer.alloc(32, 7),
      allowHttp: false,
      allowPrivateTargets: false,
      secretOverlapMs: 86_400_000,
    },
    db: noDb,
    enqueue: async () => {},
    logger: createLogger({ level: 'silent' }),
    lookup: async () => ['93.184.215.14'],
  });
  beforeAll(() => app.ready());
  afterAll(() => app.close());

  it('checks the key before validating the body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/environments/prod/webhooks',
      payload: { nonsense: true },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
  });

  it('rejects a non-hsk_ token without looking it up', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/environments/prod/webhooks',
      headers: { authorization: 'Bearer something-else-entirely' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('validates with the admin key before touching the database', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/environments/prod/webhooks',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { url: 'https://x.example/', event_types: ['vendor.created'], extra: 1 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({ code: 'VALIDATION_FAILED', message: 'body: unknown field "extra"' });
  });
});

describe('error classification', () => {
  it('keeps the status and code of HookstreamErrors', () => {
    expect(toApiError(new HookstreamError('CONFLICT', 'x'))).toEqual({
      status: 409,
      code: 'CONFLICT',
      message: 'x',
    });
    expect(toApiError(new HookstreamError('TARGET_FORBIDDEN', 'y')).status).toBe(422);
  });

  it('turns driver outages into 503 and unknown errors into a generic 500 without details', () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' });
    expect(toApiError(outage)).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
    const bug = toApiError(new TypeError('cannot read properties of undefined (secret stuff)'));
    expect(bug).toEqual({
      status: 500,
      code: 'INTERNAL',
      message: 'internal error; the details are in the server log',
    });
  });
});
