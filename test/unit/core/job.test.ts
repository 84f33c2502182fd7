import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeliveryJob, decodeJob, encodeJob } from '../../../src/core/job.js';
import { thrown } from './thrown.js';

const job: DeliveryJob = {
  delivery_id: 'dlv_547zl4hemd563hurkebjh4o7dq',
  event_id: 'evt_1',
  event_type: 'vendor.created',
  environment: 'prod',
  webhook_id: 'wh_abc',
  attempt: 3,
  first_attempt_at: 1_714_557_600_000,
  due_at: 1_714_558_260_000,
  created_at: '2024-05-01T10:00:00.000Z',
  body: '{"event_id":"evt_1","data":{"name":"Zoë"}}',
};

function withField(field: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...job };
  if (value === undefined) delete copy[field];
  else copy[field] = value;
  return copy;
}

describe('encodeJob / decodeJob', () => {
  it('writes compact JSON in a stable key order', () => {
    expect(encodeJob({ ...job, replay: true }).toString('utf8')).toBe(
      '{"delivery_id":"dlv_547zl4hemd563hurkebjh4o7dq","event_id":"evt_1","event_type":"vendor.created",' +
        '"environment":"prod","webhook_id":"wh_abc","attempt":3,"first_attempt_at":1714557600000,' +
        '"due_at":1714558260000,"created_at":"2024-05-01T10:00:00.000Z","replay":true,' +
        '"body":"{\\"event_id\\":\\"evt_1\\",\\"data\\":{\\"name\\":\\"Zoë\\"}}"}',
    );
  });

  it.each<[string, DeliveryJob]>([
    ['a retry', job],
    ['a first attempt', { ...job, attempt: 1, first_attempt_at: null }],
    ['a replay', { ...job, replay: true }],
  ])('round-trips %s', (_name, value) => {
    expect(decodeJob(encodeJob(value))).toEqual(value);
  });

  it('keeps the body byte for byte', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (body) => {
        expect(decodeJob(encodeJob({ ...job, body })).body).toBe(body);
      }),
    );
  });

  it('drops replay: false and unknown fields (a job never carries a secret)', () => {
    const decoded = decodeJob(JSON.stringify({ ...job, replay: false, secret: 'whsec_x', extra: 1 }));
    expect(decoded).toEqual(job);
    expect(decoded).not.toHaveProperty('secret');
    expect(decoded).not.toHaveProperty('replay');
  });

  it('accepts a string or a Uint8Array', () => {
    const text = encodeJob(job).toString('utf8');
    expect(decodeJob(text)).toEqual(job);
    expect(decodeJob(new Uint8Array(Buffer.from(text)))).toEqual(job);
  });
});

describe('decodeJob: invalid jobs', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['delivery_id missing', withField('delivery_id', undefined), 'delivery_id'],
    ['delivery_id empty', withField('delivery_id', ''), 'delivery_id'],
    ['event_id with CRLF', withField('event_id', 'e\r\nX: 1'), 'event_id'],
    ['event_id a number', withField('event_id', 1), 'event_id'],
    ['event_type missing', withField('event_type', undefined), 'event_type'],
    ['webhook_id with a space', withField('webhook_id', 'wh 1'), 'webhook_id'],
    ['environment upper case', withField('environment', 'Prod'), 'environment'],
    ['attempt 0', withField('attempt', 0), 'attempt'],
    ['attempt 1.5', withField('attempt', 1.5), 'attempt'],
    ['attempt a string', withField('attempt', '2'), 'attempt'],
    ['first_attempt_at missing', withField('first_attempt_at', undefined), 'first_attempt_at'],
    ['first_attempt_at negative', withField('first_attempt_at', -1), 'first_attempt_at'],
    ['due_at missing', withField('due_at', undefined), 'due_at'],
    ['due_at fractional', withField('due_at', 1.5), 'due_at'],
    ['due_at a date string', withField('due_at', '2024-05-01T10:00:00Z'), 'due_at'],
    ['created_at not RFC 3339', withField('created_at', 'yesterday'), 'created_at'],
    ['replay a string', withField('replay', 'yes'), 'replay'],
    ['body missing', withField('body', undefined), 'body'],
    ['body an object', withField('body', { a: 1 }), 'body'],
  ])('%s', (_name, value, field) => {
    const err = thrown(() => decodeJob(JSON.stringify(value)));
    expect(err).toMatchObject({ code: 'INVALID_JOB', retriable: false, details: { field } });
    expect((err as Error).message).toContain(field);
  });

  it.each<[string, string | Buffer]>([
    ['not JSON', '{"delivery_id"'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['an array', '[]'],
    ['null', 'null'],
  ])('rejects %s', (_name, raw) => {
    expect(thrown(() => decodeJob(raw))).toMatchObject({ code: 'INVALID_JOB' });
  });

  it('refuses to encode an invalid job', () => {
    expect(thrown(() => encodeJob({ ...job, attempt: 0 }))).toMatchObject({
      code: 'INVALID_JOB',
      details: { field: 'attempt' },
    });
  });
});
