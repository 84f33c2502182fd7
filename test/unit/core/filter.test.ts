import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/core/envelope.js';
import { HookstreamError } from '../../../src/core/errors.js';
import {
  applyFilters,
  compileFilterTable,
  type FilterEvent,
  type FilterPredicate,
  MAX_FILTER_BYTES,
  MAX_FILTER_DEPTH,
  MAX_PATH_KEYS,
  parseFilter,
  parseFilterText,
} from '../../../src/core/filter.js';
import { thrown } from './thrown.js';

const event = (data: JsonObject, workflow_run_id?: string): FilterEvent =>
  workflow_run_id === undefined ? { data } : { data, workflow_run_id };

const matches = (filter: unknown, ev: FilterEvent): boolean => parseFilter(filter).matches(ev);

function refusal(filter: unknown): { path: unknown; reason: unknown; message: string } {
  const err = thrown(() => parseFilter(filter));
  expect(err).toBeInstanceOf(HookstreamError);
  const e = err as HookstreamError;
  expect(e.code).toBe('VALIDATION_FAILED');
  expect(e.httpStatus).toBe(422);
  return { path: e.details?.['path'], reason: e.details?.['reason'], message: e.message };
}

const vendor = event({
  status: 'suspended',
  tier: 2,
  score: 7.5,
  tags: ['a', 'b'],
  owner: { id: 'u_1' },
  gone: null,
});

describe('parseFilter: operators', () => {
  it.each<[string, unknown, boolean]>([
    ['equality on a string', { 'data.status': 'suspended' }, true],
    ['equality is strict about type', { 'data.tier': '2' }, false],
    ['equality on a number', { 'data.tier': 2 }, true],
    ['equality on null matches a present null', { 'data.gone': null }, true],
    ['equality on null never matches a missing key', { 'data.nothing': null }, false],
    ['equality on a nested key', { 'data.owner.id': 'u_1' }, true],
    ['equality on an array element', { 'data.tags.1': 'b' }, true],
    ['an array index past the end is missing', { 'data.tags.2': { $exists: false } }, true],
    ['$in holds when one value equals', { 'data.status': { $in: ['active', 'suspended'] } }, true],
    ['$in is strict about type', { 'data.tier': { $in: ['2', 3] } }, false],
    ['$in with null', { 'data.gone': { $in: [null] } }, true],
    ['$exists: true on a present null', { 'data.gone': { $exists: true } }, true],
    ['$exists: true on a missing key', { 'data.nothing': { $exists: true } }, false],
    ['$exists: false on a missing key', { 'data.nothing': { $exists: false } }, true],
    ['$exists: false below a scalar', { 'data.status.length': { $exists: false } }, true],
    ['$prefix on a string', { 'data.status': { $prefix: 'susp' } }, true],
    ['$prefix is case-sensitive', { 'data.status': { $prefix: 'Susp' } }, false],
    ['$prefix on a number never holds', { 'data.tier': { $prefix: '2' } }, false],
    ['$gt', { 'data.score': { $gt: 7 } }, true],
    ['$gt is strict', { 'data.tier': { $gt: 2 } }, false],
    ['$lt', { 'data.tier': { $lt: 3 } }, true],
    ['$gt and $lt together form a range', { 'data.score': { $gt: 7, $lt: 8 } }, true],
    ['$gt on a string never holds', { 'data.status': { $gt: 0 } }, false],
    ['$lt on a missing key never holds', { 'data.nothing': { $lt: 100 } }, false],
    ['implicit AND: all hold', { 'data.status': 'suspended', 'data.tier': 2 }, true],
    ['implicit AND: one fails', { 'data.status': 'suspended', 'data.tier': 3 }, false],
    ['$or: one branch holds', { $or: [{ 'data.tier': 9 }, { 'data.status': 'suspended' }] }, true],
    ['$or: no branch holds', { $or: [{ 'data.tier': 9 }, { 'data.status': 'active' }] }, false],
    ['$or AND a path', { 'data.tier': 2, $or: [{ 'data.score': { $gt: 9 } }, { 'data.gone': null }] }, true],
    ['the empty filter matches everything', {}, true],
  ])('%s', (_name, filter, expected) => {
    expect(matches(filter, vendor)).toBe(expected);
  });

  it('filters on workflow_run_id', () => {
    expect(matches({ workflow_run_id: 'wr_1' }, event({}, 'wr_1'))).toBe(true);
    expect(matches({ workflow_run_id: { $prefix: 'wr_' } }, event({}, 'wr_9'))).toBe(true);
    expect(matches({ workflow_run_id: { $exists: false } }, event({}))).toBe(true);
    expect(matches({ workflow_run_id: { $exists: true } }, event({}))).toBe(false);
  });

  it('treats 0 and -0 as equal', () => {
    expect(matches({ 'data.n': 0 }, event({ n: -0 }))).toBe(true);
  });

  it('never compares an object or array in the event with a scalar', () => {
    expect(matches({ 'data.owner': 'u_1' }, vendor)).toBe(false);
    expect(matches({ 'data.tags': { $in: ['a'] } }, vendor)).toBe(false);
  });

  it('indexes arrays only with canonical indexes', () => {
    expect(matches({ 'data.tags.01': { $exists: true } }, vendor)).toBe(false);
    expect(matches({ 'data.tags.0': 'a' }, vendor)).toBe(true);
    expect(matches({ 'data.m.0': 'x' }, event({ m: { '0': 'x' } }))).toBe(true);
  });
});

describe('parseFilter: prototype keys never resolve through the prototype chain', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('data.%s on {}', (key) => {
    expect(matches({ [`data.${key}`]: { $exists: true } }, event({}))).toBe(false);
    expect(matches({ [`data.owner.${key}`]: { $exists: false } }, vendor)).toBe(true);
  });

  it('an array has no reachable length', () => {
    expect(matches({ 'data.tags.length': 2 }, vendor)).toBe(false);
    expect(matches({ 'data.tags.length': { $exists: true } }, vendor)).toBe(false);
  });

  it('a string has no reachable length or characters', () => {
    expect(matches({ 'data.status.length': 9 }, vendor)).toBe(false);
    expect(matches({ 'data.status.0': 's' }, vendor)).toBe(false);
  });

  it('an own __proto__ key, as JSON.parse makes it, is an ordinary key', () => {
    const data = JSON.parse('{"__proto__":{"admin":true}}') as JsonObject;
    expect(matches({ 'data.__proto__.admin': true }, event(data))).toBe(true);
    expect(matches({ 'data.admin': { $exists: true } }, event(data))).toBe(false);
  });

  it('works on objects without a prototype', () => {
    const data = Object.assign(Object.create(null) as JsonObject, { a: 1 });
    expect(matches({ 'data.a': 1 }, event(data))).toBe(true);
  });
});

describe('parseFilter: refusals name the path and the reason', () => {
  it.each<[string, unknown, string, string]>([
    ['not an object', ['data.a'], 'filter', 'not_object'],
    ['null', null, 'filter', 'not_object'],
    ['undefined', undefined, 'filter', 'not_object'],
    ['a path outside data', { 'event.type': 'x' }, 'filter.event.type', 'invalid_path'],
    ['bare data', { data: { $exists: true } }, 'filter.data', 'invalid_path'],
    ['a path below workflow_run_id', { 'workflow_run_id.x': 1 }, 'filter.workflow_run_id.x', 'invalid_path'],
    ['an empty key', { 'data..a': 1 }, 'filter.data..a', 'invalid_path'],
    ['a trailing dot', { 'data.a.': 1 }, 'filter.data.a.', 'invalid_path'],
    ['a top-level operator other than $or', { $and: [] }, 'filter.$and', 'unknown_operator'],
    ['an unknown operator', { 'data.a': { $regex: 'x' } }, 'filter.data.a.$regex', 'unknown_operator'],
    [
      '$eq (equality is written as the plain value)',
      { 'data.a': { $eq: 1 } },
      'filter.data.a.$eq',
      'unknown_operator',
    ],
    ['an object literal', { 'data.a': { b: 1 } }, 'filter.data.a.b', 'object_equality'],
    [
      'an operator object mixed with a key',
      { 'data.a': { $gt: 1, b: 1 } },
      'filter.data.a.b',
      'object_equality',
    ],
    ['an array literal', { 'data.a': [1, 2] }, 'filter.data.a', 'wrong_type'],
    ['an empty operator object', { 'data.a': {} }, 'filter.data.a', 'empty'],
    ['$in not an array', { 'data.a': { $in: 'x' } }, 'filter.data.a.$in', 'wrong_type'],
    ['$in empty', { 'data.a': { $in: [] } }, 'filter.data.a.$in', 'empty'],
    [
      '$in holding an object',
      { 'data.a': { $in: [1, { b: 2 }] } },
      'filter.data.a.$in[1]',
      'object_equality',
    ],
    ['$exists not boolean', { 'data.a': { $exists: 1 } }, 'filter.data.a.$exists', 'wrong_type'],
    [
      '$exists: false with another operator',
      { 'data.a': { $exists: false, $gt: 1 } },
      'filter.data.a',
      'contradiction',
    ],
    ['$prefix not a string', { 'data.a': { $prefix: 1 } }, 'filter.data.a.$prefix', 'wrong_type'],
    ['$prefix empty', { 'data.a': { $prefix: '' } }, 'filter.data.a.$prefix', 'empty'],
    ['$gt on a string', { 'data.a': { $gt: '5' } }, 'filter.data.a.$gt', 'wrong_type'],
    ['$lt NaN', { 'data.a': { $lt: Number.NaN } }, 'filter.data.a.$lt', 'not_finite'],
    ['equality with Infinity', { 'data.a': Number.POSITIVE_INFINITY }, 'filter.data.a', 'not_finite'],
    ['$or not an array', { $or: { 'data.a': 1 } }, 'filter.$or', 'wrong_type'],
    ['$or empty', { $or: [] }, 'filter.$or', 'empty'],
    ['$or holding a non-object', { $or: [{ 'data.a': 1 }, 'x'] }, 'filter.$or[1]', 'not_object'],
    ['a bad path inside $or', { $or: [{ 'data.a': 1 }, { 'x.b': 1 }] }, 'filter.$or[1].x.b', 'invalid_path'],
    [
      'a key with spaces is quoted',
      { 'data.a b': { $nope: 1 } },
      'filter["data.a b"].$nope',
      'unknown_operator',
    ],
  ])('%s', (_name, filter, path, reason) => {
    const r = refusal(filter);
    expect({ path: r.path, reason: r.reason }).toEqual({ path, reason });
    expect(r.message.startsWith(`${path}: `)).toBe(true);
  });

  it('refuses non-JSON values', () => {
    expect(refusal({ 'data.a': () => 1 }).reason).toBe('wrong_type');
    expect(refusal({ 'data.a': 1n }).reason).toBe('not_json');
    const cyclic: Record<string, unknown> = {};
    cyclic['data.a'] = cyclic;
    expect(refusal(cyclic).reason).toBe('not_json');
    expect(refusal({ 'data.a': new Date(0) }).reason).toBe('wrong_type');
  });

  it('limits the size of the JSON, in bytes', () => {
    const overhead = JSON.stringify({ 'data.a': '' }).length;
    expect(parseFilter({ 'data.a': 'x'.repeat(MAX_FILTER_BYTES - overhead) }).text).toHaveLength(
      MAX_FILTER_BYTES,
    );
    const r = refusal({ 'data.a': 'x'.repeat(MAX_FILTER_BYTES - overhead + 1) });
    expect(r).toMatchObject({ path: 'filter', reason: 'too_large' });
    expect(r.message).toContain(String(MAX_FILTER_BYTES));
    // UTF-8 bytes, not UTF-16 units: 'é' is two bytes.
    expect(refusal({ 'data.a': 'é'.repeat(MAX_FILTER_BYTES / 2) }).reason).toBe('too_large');
  });

  it('limits the nesting of $or', () => {
    let ok: unknown = { 'data.a': 1 };
    for (let i = 1; i < MAX_FILTER_DEPTH; i++) ok = { $or: [ok] };
    expect(matches(ok, event({ a: 1 }))).toBe(true);
    const r = refusal({ $or: [ok] });
    expect(r.reason).toBe('too_deep');
    expect(r.path).toBe(`filter${'.$or[0]'.repeat(MAX_FILTER_DEPTH - 1)}.$or`);
  });

  it('limits the keys of a path', () => {
    const deep = `data${'.k'.repeat(MAX_PATH_KEYS)}`;
    expect(() => parseFilter({ [deep]: 1 })).not.toThrow();
    expect(refusal({ [`${deep}.k`]: 1 }).reason).toBe('too_deep');
  });

  it('refuses hostile nesting without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { $or: [deep] };
    expect(['too_deep', 'too_large']).toContain(refusal(deep).reason);
  });
});

describe('parseFilterText', () => {
  it('returns the compact JSON it was given, ready to store', () => {
    const compiled = parseFilterText('{ "data.status" : "suspended" }');
    expect(compiled.text).toBe('{"data.status":"suspended"}');
    expect(parseFilterText(compiled.text).matches(vendor)).toBe(true);
  });

  it('refuses text that is not JSON', () => {
    const err = thrown(() => parseFilterText('{data.a: 1}')) as HookstreamError;
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual({ path: 'filter', reason: 'not_json' });
  });
});

describe('applyFilters', () => {
  const yes: FilterPredicate = () => true;
  const no: FilterPredicate = () => false;
  const ids = Object.freeze(['wh_a', 'wh_b', 'wh_c', 'wh_d']);

  it('returns the same array when nothing is filtered out', () => {
    expect(applyFilters(ids, new Map(), vendor)).toBe(ids);
    expect(applyFilters(ids, new Map([['wh_b', yes]]), vendor)).toBe(ids);
  });

  it('drops the webhooks whose filter fails, keeping the order', () => {
    const kept = applyFilters(
      ids,
      new Map([
        ['wh_b', no],
        ['wh_c', yes],
        ['wh_d', no],
      ]),
      vendor,
    );
    expect(kept).toEqual(['wh_a', 'wh_c']);
    expect(Object.isFrozen(kept)).toBe(true);
    expect(applyFilters(ids, new Map([['wh_a', no]]), vendor)).toEqual(['wh_b', 'wh_c', 'wh_d']);
  });

  it('runs real filters against the event', () => {
    const table = compileFilterTable([
      { id: 'wh_a', filter: '{"data.status":"suspended"}' },
      { id: 'wh_b', filter: '{"data.status":"active"}' },
      { id: 'wh_c', filter: null },
      { id: 'wh_d' },
    ]);
    expect(table.invalid).toEqual([]);
    expect([...table.filters.keys()]).toEqual(['wh_a', 'wh_b']);
    expect(applyFilters(ids, table.filters, vendor)).toEqual(['wh_a', 'wh_c', 'wh_d']);
  });

  it('compileFilterTable fails open on a stored filter that no longer parses, and says which', () => {
    const table = compileFilterTable([{ id: 'wh_a', filter: '{"data.a":{"$regex":"x"}}' }]);
    expect(table.filters.size).toBe(0);
    expect(table.invalid.map((i) => [i.id, i.error.details?.['reason']])).toEqual([
      ['wh_a', 'unknown_operator'],
    ]);
    expect(applyFilters(ids, table.filters, vendor)).toBe(ids);
  });
});

// ─── properties ──────────────────────────────────────────────────────────────────────────────

const KEYS = ['a', 'b', 'c', '0', '1'];
const scalarArb = fc.oneof(
  fc.constantFrom('x', 'xy', 'y', ''),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const jsonArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalarArb,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 3 }),
  ),
})).value;
const dataArb = fc.dictionary(fc.constantFrom(...KEYS), jsonArb, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;
const pathArb = fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 });

/** The specification, written as plainly as possible. */
function lookup(data: unknown, keys: readonly string[]): { found: boolean; value?: unknown } {
  let value = data;
  for (const key of keys) {
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= value.length) return { found: false };
      value = value[Number(key)];
    } else if (typeof value === 'object' && value !== null && Object.keys(value).includes(key)) {
      value = (value as Record<string, unknown>)[key];
    } else return { found: false };
  }
  return { found: true, value };
}

describe('parseFilter (properties)', () => {
  it('each operator agrees with the plain specification', () => {
    fc.assert(
      fc.property(dataArb, pathArb, scalarArb, fc.integer({ min: -3, max: 3 }), (data, keys, literal, n) => {
        const path = `data.${keys.join('.')}`;
        const { found, value } = lookup(data, keys);
        const ev = event(data);
        expect(matches({ [path]: literal }, ev)).toBe(found && value === literal);
        expect(matches({ [path]: { $in: [literal, 'zz'] } }, ev)).toBe(
          found && (value === literal || value === 'zz'),
        );
        expect(matches({ [path]: { $exists: true } }, ev)).toBe(found);
        expect(matches({ [path]: { $exists: false } }, ev)).toBe(!found);
        expect(matches({ [path]: { $prefix: 'x' } }, ev)).toBe(
          typeof value === 'string' && value.startsWith('x'),
        );
        expect(matches({ [path]: { $gt: n } }, ev)).toBe(typeof value === 'number' && value > n);
        expect(matches({ [path]: { $lt: n } }, ev)).toBe(typeof value === 'number' && value < n);
      }),
      { numRuns: 300 },
    );
  });

  it('AND is every clause, $or is any branch', () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.array(fc.tuple(pathArb, scalarArb), { minLength: 1, maxLength: 4 }),
        (data, clauses) => {
          const singles = clauses.map(([keys, v]) => ({ [`data.${keys.join('.')}`]: v }));
          const each = singles.map((f) => matches(f, event(data)));
          expect(matches({ $or: singles }, event(data))).toBe(each.some(Boolean));
          const merged = Object.assign({}, ...singles) as Record<string, unknown>;
          const distinct = Object.keys(merged).map((k) => matches({ [k]: merged[k] }, event(data)));
          expect(matches(merged, event(data))).toBe(distinct.every(Boolean));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on an event, whatever its data', () => {
    const compiled = parseFilter({
      'data.a.b': { $in: [1, 'x'] },
      $or: [
        { 'data.c': { $gt: 0, $lt: 2 } },
        { 'data.0.a': { $prefix: 'x' } },
        { 'data.b': { $exists: false } },
      ],
    });
    fc.assert(
      fc.property(dataArb, (data) => {
        expect(typeof compiled.matches(event(data))).toBe('boolean');
      }),
    );
  });

  it('a validated filter round-trips through its stored text', () => {
    fc.assert(
      fc.property(dataArb, pathArb, scalarArb, (data, keys, literal) => {
        const first = parseFilter({ [`data.${keys.join('.')}`]: literal });
        expect(parseFilterText(first.text).matches(event(data))).toBe(first.matches(event(data)));
      }),
    );
  });
});
