import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Envelope,
  EVENT_TYPES,
  MAX_DATA_DEPTH,
  parseEnvelope,
  serializeEnvelope,
  validateEnvelope,
} from '../../../src/core/envelope.js';
import { HookstreamError } from '../../../src/core/errors.js';
import { thrown } from './thrown.js';

const RECORD_TS = Date.UTC(2024, 4, 1, 12, 0, 0, 250); // 2024-05-01T12:00:00.250Z
const opts = { recordTimestampMs: RECORD_TS };

const valid = {
  event_id: 'evt_01HXYZ',
  event_type: 'vendor.created',
  environment: 'prod-eu',
  created_at: '2024-05-01T10:00:00Z',
  workflow_run_id: 'wfr_42',
  data: { vendor_id: 'v_1', name: 'Acme' },
};

function withField(field: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...valid };
  if (value === undefined) delete copy[field];
  else copy[field] = value;
  return copy;
}

function nested(depth: number): unknown {
  // `data` itself is depth 1, so depth n means n - 1 objects inside it.
  let inner: unknown = {};
  for (let i = 1; i < depth; i++) inner = { a: inner };
  return inner;
}

describe('parseEnvelope: valid events', () => {
  it('keeps the documented fields and normalises created_at', () => {
    expect(parseEnvelope(JSON.stringify(valid), opts)).toEqual({
      event_id: 'evt_01HXYZ',
      event_type: 'vendor.created',
      environment: 'prod-eu',
      created_at: '2024-05-01T10:00:00.000Z',
      workflow_run_id: 'wfr_42',
      data: { vendor_id: 'v_1', name: 'Acme' },
    });
  });

  it('defaults created_at to the record timestamp, as ISO', () => {
    const env = parseEnvelope(JSON.stringify(withField('created_at', undefined)), opts);
    expect(env.created_at).toBe('2024-05-01T12:00:00.250Z');
  });

  it('treats created_at: null like an absent one', () => {
    expect(parseEnvelope(JSON.stringify(withField('created_at', null)), opts).created_at).toBe(
      '2024-05-01T12:00:00.250Z',
    );
  });

  it('converts an offset created_at to UTC', () => {
    const env = parseEnvelope(
      JSON.stringify(withField('created_at', '2024-05-01T12:30:00.123456+02:30')),
      opts,
    );
    expect(env.created_at).toBe('2024-05-01T10:00:00.123Z');
  });

  it('drops unknown top-level fields', () => {
    const env = parseEnvelope(JSON.stringify({ ...valid, internal_tenant: 't1', debug: true }), opts);
    expect(Object.keys(env)).toEqual([
      'event_id',
      'event_type',
      'environment',
      'created_at',
      'workflow_run_id',
      'data',
    ]);
  });

  it('omits workflow_run_id when absent or null', () => {
    expect(parseEnvelope(JSON.stringify(withField('workflow_run_id', undefined)), opts)).not.toHaveProperty(
      'workflow_run_id',
    );
    expect(parseEnvelope(JSON.stringify(withField('workflow_run_id', null)), opts)).not.toHaveProperty(
      'workflow_run_id',
    );
  });

  it('accepts a Buffer, with or without a UTF-8 BOM, and non-ASCII data', () => {
    const text = JSON.stringify(withField('data', { name: 'Zoë ☃ 🚀' }));
    expect(parseEnvelope(Buffer.from(text), opts).data).toEqual({ name: 'Zoë ☃ 🚀' });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(parseEnvelope(bom, opts).data).toEqual({ name: 'Zoë ☃ 🚀' });
  });

  it.each(EVENT_TYPES)('accepts event type %s', (type) => {
    expect(parseEnvelope(JSON.stringify(withField('event_type', type)), opts).event_type).toBe(type);
  });

  it.each(['a', '0', 'prod', 'eu-west-1', `a${'-'.repeat(62)}`, 'x'.repeat(63)])(
    'accepts environment %s',
    (env) => {
      expect(parseEnvelope(JSON.stringify(withField('environment', env)), opts).environment).toBe(env);
    },
  );

  it('accepts an event_id of exactly 200 visible ASCII characters', () => {
    const id = '!~'.repeat(100);
    expect(parseEnvelope(JSON.stringify(withField('event_id', id)), opts).event_id).toBe(id);
  });

  it(`accepts data nested exactly ${MAX_DATA_DEPTH} levels deep`, () => {
    expect(() =>
      parseEnvelope(JSON.stringify(withField('data', nested(MAX_DATA_DEPTH))), opts),
    ).not.toThrow();
  });

  it('accepts empty data and arrays, nulls, numbers and booleans inside it', () => {
    expect(parseEnvelope(JSON.stringify(withField('data', {})), opts).data).toEqual({});
    const data = { list: [1, -2.5, null, true, 'x', [{}]], n: null };
    expect(parseEnvelope(JSON.stringify(withField('data', data)), opts).data).toEqual(data);
  });
});

describe('parseEnvelope: rejected events', () => {
  it.each<[string, unknown, string, string | undefined, string]>([
    ['event_id missing', withField('event_id', undefined), 'INVALID_ENVELOPE', 'event_id', 'missing'],
    ['event_id null', withField('event_id', null), 'INVALID_ENVELOPE', 'event_id', 'missing'],
    ['event_id empty', withField('event_id', ''), 'INVALID_ENVELOPE', 'event_id', 'empty'],
    ['event_id a number', withField('event_id', 42), 'INVALID_ENVELOPE', 'event_id', 'wrong_type'],
    [
      'event_id 201 chars',
      withField('event_id', 'e'.repeat(201)),
      'INVALID_ENVELOPE',
      'event_id',
      'too_long',
    ],
    [
      'event_id with a space',
      withField('event_id', 'evt 1'),
      'INVALID_ENVELOPE',
      'event_id',
      'invalid_chars',
    ],
    [
      'event_id with CRLF',
      withField('event_id', 'evt\r\nX-Evil: 1'),
      'INVALID_ENVELOPE',
      'event_id',
      'invalid_chars',
    ],
    ['event_id non-ASCII', withField('event_id', 'évt'), 'INVALID_ENVELOPE', 'event_id', 'invalid_chars'],
    ['event_type missing', withField('event_type', undefined), 'INVALID_ENVELOPE', 'event_type', 'missing'],
    [
      'event_type unknown',
      withField('event_type', 'vendor.deleted'),
      'INVALID_ENVELOPE',
      'event_type',
      'unknown_event_type',
    ],
    [
      'event_type a family',
      withField('event_type', 'vendor.*'),
      'INVALID_ENVELOPE',
      'event_type',
      'unknown_event_type',
    ],
    [
      'event_type upper case',
      withField('event_type', 'Vendor.Created'),
      'INVALID_ENVELOPE',
      'event_type',
      'unknown_event_type',
    ],
    [
      'event_type an array',
      withField('event_type', ['vendor.created']),
      'INVALID_ENVELOPE',
      'event_type',
      'wrong_type',
    ],
    [
      'environment missing',
      withField('environment', undefined),
      'INVALID_ENVELOPE',
      'environment',
      'missing',
    ],
    [
      'environment upper case',
      withField('environment', 'Prod'),
      'INVALID_ENVELOPE',
      'environment',
      'invalid_format',
    ],
    [
      'environment leading dash',
      withField('environment', '-prod'),
      'INVALID_ENVELOPE',
      'environment',
      'invalid_format',
    ],
    [
      'environment 64 chars',
      withField('environment', 'a'.repeat(64)),
      'INVALID_ENVELOPE',
      'environment',
      'invalid_format',
    ],
    [
      'environment with a dot',
      withField('environment', 'prod.eu'),
      'INVALID_ENVELOPE',
      'environment',
      'invalid_format',
    ],
    [
      'environment with a newline',
      withField('environment', 'prod\n'),
      'INVALID_ENVELOPE',
      'environment',
      'invalid_format',
    ],
    [
      'created_at not a date',
      withField('created_at', 'yesterday'),
      'INVALID_ENVELOPE',
      'created_at',
      'invalid_format',
    ],
    [
      'created_at without zone',
      withField('created_at', '2024-05-01T10:00:00'),
      'INVALID_ENVELOPE',
      'created_at',
      'invalid_format',
    ],
    [
      'created_at impossible',
      withField('created_at', '2023-02-29T10:00:00Z'),
      'INVALID_ENVELOPE',
      'created_at',
      'invalid_format',
    ],
    [
      'created_at a number',
      withField('created_at', 1714557600000),
      'INVALID_ENVELOPE',
      'created_at',
      'wrong_type',
    ],
    ['created_at empty', withField('created_at', ''), 'INVALID_ENVELOPE', 'created_at', 'empty'],
    [
      'workflow_run_id a number',
      withField('workflow_run_id', 7),
      'INVALID_ENVELOPE',
      'workflow_run_id',
      'wrong_type',
    ],
    [
      'workflow_run_id empty',
      withField('workflow_run_id', ''),
      'INVALID_ENVELOPE',
      'workflow_run_id',
      'empty',
    ],
    [
      'workflow_run_id too long',
      withField('workflow_run_id', 'w'.repeat(201)),
      'INVALID_ENVELOPE',
      'workflow_run_id',
      'too_long',
    ],
    ['data missing', withField('data', undefined), 'INVALID_ENVELOPE', 'data', 'missing'],
    ['data null', withField('data', null), 'INVALID_ENVELOPE', 'data', 'wrong_type'],
    ['data an array', withField('data', [1, 2]), 'INVALID_ENVELOPE', 'data', 'wrong_type'],
    ['data a string', withField('data', '{}'), 'INVALID_ENVELOPE', 'data', 'wrong_type'],
    [
      'data too deep',
      withField('data', nested(MAX_DATA_DEPTH + 1)),
      'INVALID_ENVELOPE',
      `data${'.a'.repeat(MAX_DATA_DEPTH)}`,
      'too_deep',
    ],
    ['an array', [valid], 'INVALID_ENVELOPE', undefined, 'not_object'],
    ['null', null, 'INVALID_ENVELOPE', undefined, 'not_object'],
    ['a string', 'vendor.created', 'INVALID_ENVELOPE', undefined, 'not_object'],
  ])('%s', (_name, input, code, field, reason) => {
    const err = thrown(() => parseEnvelope(JSON.stringify(input), opts));
    expect(err).toBeInstanceOf(HookstreamError);
    const details = field === undefined ? { reason } : { field, reason };
    expect(err).toMatchObject({ code, retriable: false, details });
    if (field !== undefined) expect((err as Error).message.startsWith(`${field}: `)).toBe(true);
  });

  it('names the first bad field in field order', () => {
    const err = thrown(() => parseEnvelope(JSON.stringify({ event_type: 'nope', data: null }), opts));
    expect(err).toMatchObject({ details: { field: 'event_id', reason: 'missing' } });
  });

  it.each<[string, string | Buffer, string]>([
    ['not JSON', '{"event_id": ', 'not_json'],
    ['empty input', '', 'not_json'],
    ['trailing garbage', `${JSON.stringify(valid)} x`, 'not_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
    ['a truncated multi-byte character', Buffer.from([0x7b, 0x7d, 0xe2, 0x98]), 'invalid_utf8'],
  ])('reports %s as UNDECODABLE_EVENT', (_name, raw, reason) => {
    expect(thrown(() => parseEnvelope(raw, opts))).toMatchObject({
      code: 'UNDECODABLE_EVENT',
      details: { reason },
    });
  });

  it('rejects an event larger than maxBytes, counting UTF-8 bytes', () => {
    const text = JSON.stringify(withField('data', { s: 'é'.repeat(100) }));
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeGreaterThan(text.length);
    expect(() => parseEnvelope(text, { ...opts, maxBytes: bytes })).not.toThrow();
    expect(thrown(() => parseEnvelope(text, { ...opts, maxBytes: bytes - 1 }))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { reason: 'too_large', size: bytes, limit: bytes - 1 },
    });
    expect(thrown(() => parseEnvelope(Buffer.from(text), { ...opts, maxBytes: bytes - 1 }))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('limits events to 1 MB by default', () => {
    const big = JSON.stringify(withField('data', { s: 'x'.repeat(1_000_000) }));
    expect(thrown(() => parseEnvelope(big, opts))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit: 1_000_000 },
    });
  });

  it('rejects hostile nesting (100 000 levels) without overflowing the stack', () => {
    const hostile = `{"event_id":"e","event_type":"vendor.created","environment":"p","data":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    expect(thrown(() => parseEnvelope(hostile, opts))).toMatchObject({
      code: 'INVALID_ENVELOPE',
      details: { reason: 'too_deep' },
    });
  });

  it('rejects numbers JSON.stringify would turn into null', () => {
    const text = '{"event_id":"e","event_type":"vendor.created","environment":"p","data":{"big":1e400}}';
    expect(thrown(() => parseEnvelope(text, opts))).toMatchObject({
      code: 'INVALID_ENVELOPE',
      details: { field: 'data.big', reason: 'not_json_value' },
    });
  });

  it('needs a record timestamp when created_at is absent', () => {
    const input = JSON.stringify(withField('created_at', undefined));
    for (const recordTimestampMs of [-1, Number.NaN]) {
      expect(thrown(() => parseEnvelope(input, { recordTimestampMs }))).toMatchObject({
        details: { field: 'created_at', reason: 'no_record_timestamp' },
      });
    }
  });
});

describe('validateEnvelope (decoded Avro objects)', () => {
  class AvroRecord {
    constructor(readonly id: string) {}
    clone(): AvroRecord {
      return new AvroRecord(this.id);
    }
  }

  it('accepts class instances whose own fields are JSON values', () => {
    const env = validateEnvelope(withField('data', { vendor: new AvroRecord('v1') }), opts);
    expect(serializeEnvelope(env)).toContain('"data":{"vendor":{"id":"v1"}}');
  });

  it.each<[string, unknown, string]>([
    ['a Date', { when: new Date(0) }, 'data.when'],
    ['a Buffer', { raw: Buffer.from('x') }, 'data.raw'],
    ['a typed array', { raw: new Uint8Array(2) }, 'data.raw'],
    ['a Map', { m: new Map() }, 'data.m'],
    ['a Set', { list: [1, new Set()] }, 'data.list[1]'],
    ['a bigint', { n: 10n }, 'data.n'],
    ['undefined', { items: [{ x: undefined }] }, 'data.items[0].x'],
    ['a function', { f: () => 1 }, 'data.f'],
    ['NaN', { 'odd key': Number.NaN }, 'data["odd key"]'],
    ['Infinity', { deep: { er: [0, Number.POSITIVE_INFINITY] } }, 'data.deep.er[1]'],
  ])('rejects %s inside data, naming its path', (_name, data, field) => {
    expect(thrown(() => validateEnvelope(withField('data', data), opts))).toMatchObject({
      code: 'INVALID_ENVELOPE',
      details: { field, reason: 'not_json_value' },
    });
  });

  it('rejects data that is itself a Date', () => {
    expect(thrown(() => validateEnvelope(withField('data', new Date()), opts))).toMatchObject({
      details: { field: 'data', reason: 'not_json_value' },
    });
  });

  it('rejects a cycle as too deep', () => {
    const data: Record<string, unknown> = {};
    data['self'] = data;
    expect(thrown(() => validateEnvelope(withField('data', data), opts))).toMatchObject({
      details: { reason: 'too_deep' },
    });
  });

  it('ignores inherited properties', () => {
    const event = Object.create({ event_id: 'inherited' }) as Record<string, unknown>;
    Object.assign(event, withField('event_id', undefined));
    expect(thrown(() => validateEnvelope(event, opts))).toMatchObject({
      details: { field: 'event_id', reason: 'missing' },
    });
  });
});

describe('serializeEnvelope', () => {
  it('writes the documented key order, compactly', () => {
    const env = parseEnvelope(
      JSON.stringify(Object.fromEntries(Object.entries({ ...valid, extra: 1 }).reverse())),
      opts,
    );
    expect(serializeEnvelope(env)).toBe(
      '{"event_id":"evt_01HXYZ","event_type":"vendor.created","environment":"prod-eu",' +
        '"created_at":"2024-05-01T10:00:00.000Z","workflow_run_id":"wfr_42","data":{"vendor_id":"v_1","name":"Acme"}}',
    );
  });

  it('leaves workflow_run_id out when absent', () => {
    const env: Envelope = {
      event_id: 'e1',
      event_type: 'webhook.test',
      environment: 'dev',
      created_at: '2024-01-01T00:00:00.000Z',
      data: {},
    };
    expect(serializeEnvelope(env)).toBe(
      '{"event_id":"e1","event_type":"webhook.test","environment":"dev","created_at":"2024-01-01T00:00:00.000Z","data":{}}',
    );
  });

  it('round-trips: parse(serialize(env)) equals env, and serialising twice is stable', () => {
    const jsonObject = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 5 }));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[\x21-\x7e]{1,200}$/),
        fc.constantFrom(...EVENT_TYPES),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/),
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: undefined }),
        jsonObject,
        (event_id, event_type, environment, created, workflow_run_id, data) => {
          const input = {
            event_id,
            event_type,
            environment,
            created_at: created.toISOString(),
            workflow_run_id,
            data,
          };
          const env = parseEnvelope(JSON.stringify(input), opts);
          const body = serializeEnvelope(env);
          const again = parseEnvelope(body, opts);
          expect(again).toEqual(env);
          expect(serializeEnvelope(again)).toBe(body);
          expect(again.created_at).toBe(created.toISOString());
        },
      ),
      { numRuns: 300 },
    );
  });
});
