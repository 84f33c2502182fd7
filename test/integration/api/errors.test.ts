import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config/config.js';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { resources, services, testLogger } from '../../support/helpers.js';
import {
  ADMIN_KEY,
  call,
  envName,
  SECRET_KEY_HEX,
  startTestApi,
  type TestApi,
  webhookInput,
} from './support.js';

interface Case {
  readonly name: string;
  readonly method?: string;
  /** `{env}` and `{id}` are filled in. */
  readonly path?: string;
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
  readonly message?: RegExp;
}

const CREATE = '/v1/environments/{env}/webhooks';
const ONE = '/v1/environments/{env}/webhooks/{id}';
const valid = webhookInput();

const CASES: Case[] = [
  { name: 'truncated JSON', raw: '{"url":', status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ },
  { name: 'trailing garbage', raw: `${JSON.stringify(valid)}x`, status: 400, code: 'BAD_REQUEST' },
  { name: 'single quotes', raw: "{'url': 'x'}", status: 400, code: 'BAD_REQUEST' },
  {
    name: 'prototype poisoning',
    raw: `{"__proto__":{"admin":true},"url":"https://receiver.example.com/","event_types":["*"]}`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'whitespace body', raw: '   ', status: 400, code: 'BAD_REQUEST' },
  { name: 'empty body', raw: '', status: 422, code: 'VALIDATION_FAILED', message: /^body: must be object/ },
  { name: 'JSON null', raw: 'null', status: 422, code: 'VALIDATION_FAILED', message: /^body/ },
  {
    name: 'JSON array',
    body: [valid],
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^body: must be object/,
  },
  { name: 'JSON string', body: 'https://x', status: 422, code: 'VALIDATION_FAILED' },
  {
    name: 'missing url',
    body: { event_types: ['*'] },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^url: is required/,
  },
  {
    name: 'missing event_types',
    body: { url: valid.url },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^event_types: is required/,
  },
  {
    name: 'url is a number',
    body: { ...valid, url: 42 },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^url: must be string/,
  },
  {
    name: 'url is empty',
    body: { ...valid, url: '' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^url/,
  },
  {
    name: 'url too long',
    body: { ...valid, url: `https://receiver.example.com/${'a'.repeat(2100)}` },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^url/,
  },
  {
    name: 'event_types is a string',
    body: { ...valid, event_types: 'vendor.created' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^event_types: must be array/,
  },
  {
    name: 'event type not in taxonomy',
    body: { ...valid, event_types: ['vendor.created', 'vendor.exploded'] },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^event_types\[1\]: must be one of/,
  },
  {
    name: 'event type is a number',
    body: { ...valid, event_types: [1] },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^event_types\[0\]/,
  },
  {
    name: 'unknown field',
    body: { ...valid, secret: 'whsec_mine' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^body: unknown field "secret"/,
  },
  {
    name: 'enabled is a string',
    body: { ...valid, enabled: 'yes' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^enabled: must be boolean/,
  },
  {
    name: 'description too long',
    body: { ...valid, description: 'x'.repeat(501) },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^description/,
  },
  {
    name: 'deeply nested value',
    raw: `{"event_types":["*"],"url":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^url/,
  },
  {
    name: 'body over 1 MB',
    body: { ...valid, description: 'x'.repeat(1_100_000) },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'form-encoded body',
    raw: 'url=https://x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 400,
    code: 'BAD_REQUEST',
    message: /application\/json/,
  },
  {
    name: 'environment with capitals',
    path: '/v1/environments/Prod/webhooks',
    body: valid,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^env: /,
  },
  {
    name: 'environment too long',
    method: 'GET',
    path: `/v1/environments/${'a'.repeat(64)}/webhooks`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^env/,
  },
  {
    name: 'limit 0',
    method: 'GET',
    path: `${CREATE}?limit=0`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^limit/,
  },
  {
    name: 'limit 201',
    method: 'GET',
    path: `${CREATE}?limit=201`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^limit/,
  },
  {
    name: 'limit not a number',
    method: 'GET',
    path: `${CREATE}?limit=ten`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^limit/,
  },
  {
    name: 'unknown query parameter',
    method: 'GET',
    path: `${CREATE}?owner=me`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /unknown field "owner"/,
  },
  {
    name: 'forged cursor',
    method: 'GET',
    path: `${CREATE}?cursor=eyJ4IjoxfQ`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^cursor/,
  },
  {
    name: 'cursor beyond the Date range (t=9007199254740991)',
    method: 'GET',
    path: `${CREATE}?cursor=eyJ0Ijo5MDA3MTk5MjU0NzQwOTkxLCJpIjoid2hfeCJ9`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /^cursor/,
  },
  {
    name: 'unknown webhook id',
    method: 'GET',
    path: '/v1/environments/{env}/webhooks/wh_doesnotexist',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'id longer than allowed',
    method: 'GET',
    path: `/v1/environments/{env}/webhooks/${'x'.repeat(201)}`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'parameter over the router limit',
    method: 'GET',
    path: `/v1/environments/{env}/webhooks/${'x'.repeat(300)}`,
    status: 400,
    code: 'BAD_REQUEST',
    message: /too long/,
  },
  {
    name: 'undecodable path',
    method: 'GET',
    path: '/v1/environments/{env}/webhooks/%zz',
    status: 400,
    code: 'BAD_REQUEST',
    message: /^path/,
  },
  { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', status: 404, code: 'NOT_FOUND' },
  {
    name: 'unknown method on a route',
    method: 'PUT',
    path: ONE,
    body: valid,
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'empty PATCH',
    method: 'PATCH',
    path: ONE,
    body: {},
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^body: must set at least 1/,
  },
  {
    name: 'PATCH of the id',
    method: 'PATCH',
    path: ONE,
    body: { id: 'wh_other' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /unknown field "id"/,
  },
  {
    name: 'PATCH url null',
    method: 'PATCH',
    path: ONE,
    body: { url: null },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^url/,
  },
  {
    name: 'negative overlap',
    method: 'POST',
    path: `${ONE}/rotate-secret`,
    body: { overlap_seconds: -1 },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^overlap_seconds/,
  },
  {
    name: 'overlap as a string',
    method: 'POST',
    path: `${ONE}/rotate-secret`,
    body: { overlap_seconds: '60' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^overlap_seconds/,
  },
  {
    name: 'test message empty',
    method: 'POST',
    path: `${ONE}/test`,
    body: { message: '' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^message/,
  },
  {
    name: 'replay since not a date',
    method: 'POST',
    path: `${ONE}/replay`,
    body: { since: '2026-13-45' },
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^since: must be an RFC 3339/,
  },
  {
    name: 'api key without environment',
    method: 'POST',
    path: '/v1/api-keys',
    body: {},
    status: 422,
    code: 'VALIDATION_FAILED',
    message: /^environment: is required/,
  },
];

describe('admin API: malformed input, errors and operational routes', () => {
  const r = resources('all');
  let api: TestApi;
  let env: string;
  let id: string;
  beforeAll(async () => {
    api = await startTestApi(r, { consume: false });
    env = envName();
    id = (await api.call('POST', `/v1/environments/${env}/webhooks`, { body: valid })).json.id;
  });

  it.each(CASES)('$name → $status $code', async (c) => {
    const path = (c.path ?? CREATE).replace('{env}', env).replace('{id}', id);
    const res = await api.call(c.method ?? 'POST', path, {
      ...(c.raw !== undefined ? { raw: c.raw } : { body: c.body }),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({ error: { code: c.code, message: expect.any(String) } });
    if (c.message) expect(res.json.error.message).toMatch(c.message);
    expect(res.text).not.toMatch(/ at .*\.(ts|js):\d+/); // no stack trace
    // Nothing was half-done, and the server is still there.
    expect((await api.call('GET', '/healthz', { key: null })).status).toBe(200);
  });

  it('the malformed requests changed nothing', async () => {
    expect(await webhooksCollection(api.db).countDocuments({})).toBe(1);
    const read = await api.call('GET', `/v1/environments/${env}/webhooks/${id}`);
    expect(read.json).toMatchObject({ url: valid.url, event_types: valid.event_types, enabled: true });
    expect(read.json.secret_rotated_until).toBeNull();
  });

  it('accepts a body of almost 1 MB (the limit is on the body, not lower)', async () => {
    const res = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: { ...valid, description: 'x'.repeat(400) },
      headers: { 'x-padding': 'y'.repeat(1000) },
    });
    expect(res.status).toBe(201);
    await api.call('DELETE', `/v1/environments/${env}/webhooks/${res.json.id}`);
  });

  it('serves /healthz, /readyz, /metrics and /openapi.json without a key', async () => {
    expect((await api.call('GET', '/healthz', { key: null })).json).toEqual({ status: 'ok' });
    expect((await api.call('GET', '/readyz', { key: null })).json).toEqual({ status: 'ready' });
    const metrics = await api.call('GET', '/metrics', { key: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/^# HELP hookstream_/m);
  });

  it('documents every route in /openapi.json from the schemas it validates with', async () => {
    const res = await api.call('GET', '/openapi.json', { key: null });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /v1/environments/{env}/webhooks',
        'GET /v1/environments/{env}/webhooks',
        'GET /v1/environments/{env}/webhooks/{id}',
        'PATCH /v1/environments/{env}/webhooks/{id}',
        'DELETE /v1/environments/{env}/webhooks/{id}',
        'POST /v1/environments/{env}/webhooks/{id}/rotate-secret',
        'POST /v1/environments/{env}/webhooks/{id}/test',
        'POST /v1/environments/{env}/webhooks/{id}/replay',
        'GET /v1/environments/{env}/webhooks/{id}/deliveries',
        'GET /v1/environments/{env}/deliveries/{delivery_id}',
        'POST /v1/environments/{env}/deliveries/{delivery_id}/retry',
        'POST /v1/api-keys',
        'GET /v1/api-keys',
        'DELETE /v1/api-keys/{id}',
        'GET /v1/environments/{env}/events/{event_id}/deliveries',
        'DELETE /v1/environments/{env}/events/{event_id}',
        'GET /v1/event-types',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        // the operator console (src/api/routes/console.ts, ops.ts, src/console/assets.ts)
        'GET /console',
        'GET /v1/session',
        'GET /v1/environments',
        'GET /v1/environments/{env}/health',
        'GET /v1/environments/{env}/webhooks/{id}/replay-preview',
        'GET /v1/ops/lag',
        'GET /v1/ops/rates',
      ].sort(),
    );
    const create = doc.paths['/v1/environments/{env}/webhooks'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['url', 'event_types']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.event_types.items.enum).toContain('vendor.*');
    expect(create.responses['201'].content['application/json'].schema.required).toContain('secret');
    expect(create.responses['422'].content['application/json'].schema.required).toEqual(['error']);
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(create.parameters).toEqual([
      expect.objectContaining({
        name: 'env',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ pattern: expect.any(String) }),
      }),
    ]);
    const list = doc.paths['/v1/environments/{env}/webhooks/{id}/deliveries'].get;
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(
      [
        'path:env',
        'path:id',
        'query:cursor',
        'query:limit',
        'query:status',
        'query:event_type',
        'query:since',
        'query:until',
      ].sort(),
    );
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('admin API: MongoDB down', () => {
  const r = resources('all');
  let base: string;
  beforeAll(async () => {
    // Nothing listens on port 1: every MongoDB operation fails server selection.
    const client = new MongoClient('mongodb://127.0.0.1:1/hookstream', {
      serverSelectionTimeoutMS: 1_000,
      connectTimeoutMS: 1_000,
    });
    r.add(client, (c) => c.close());
    const config = loadConfig({
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: 'mongodb://127.0.0.1:1/hookstream',
      HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY,
      HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
    });
    const app = buildApiServer({
      config,
      db: client.db('hookstream'),
      enqueue: async () => {},
      logger: testLogger,
      lookup: async () => ['93.184.215.14'],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    r.add(app, (a) => a.close());
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  it.each([
    ['GET', '/v1/environments/prod/webhooks', undefined, undefined],
    ['POST', '/v1/environments/prod/webhooks', webhookInput(), undefined],
    ['GET', '/v1/environments/prod/deliveries/dlv_x', undefined, undefined],
    ['POST', '/v1/api-keys', { environment: 'prod' }, undefined],
    ['GET', '/v1/environments/prod/webhooks', undefined, 'hsk_some-scoped-key-needs-a-lookup'],
  ])('%s %s answers 503 STORE_UNAVAILABLE within seconds', async (method, path, body, key) => {
    const t0 = Date.now();
    const res = await call(base, method, path, { body, ...(key ? { key } : {}) });
    expect(res.status).toBe(503);
    expect(res.json).toEqual({
      error: { code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/MongoDB/) },
    });
    expect(Date.now() - t0).toBeLessThan(4_000);
  });

  it('/healthz stays 200 while /readyz answers 503', async () => {
    expect((await call(base, 'GET', '/healthz', { key: null })).status).toBe(200);
    const ready = await call(base, 'GET', '/readyz', { key: null });
    expect(ready.status).toBe(503);
    expect(ready.json.error.code).toBe('STORE_UNAVAILABLE');
  });

  it('still checks the key first: 401 without touching MongoDB', async () => {
    const t0 = Date.now();
    const res = await call(base, 'GET', '/v1/environments/prod/webhooks', { key: 'not-the-admin-key' });
    expect(res.status).toBe(401);
    expect(Date.now() - t0).toBeLessThan(500);
  });
});
