import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  customHeaderObject,
  MAX_CUSTOM_HEADER_BYTES,
  MAX_CUSTOM_HEADERS,
  parseCustomHeaders,
  refusalOf,
  sendableCustomHeaders,
} from '../../../src/core/custom-headers.js';
import { HookstreamError } from '../../../src/core/errors.js';
import { thrown } from './thrown.js';

const opts = { headerPrefix: 'Coverbase' };

function refusal(
  value: unknown,
  options = opts,
): { path: unknown; header: unknown; reason: unknown; message: string } {
  const err = thrown(() => parseCustomHeaders(value, options));
  expect(err).toBeInstanceOf(HookstreamError);
  const e = err as HookstreamError;
  expect(e.code).toBe('VALIDATION_FAILED');
  expect(e.httpStatus).toBe(422);
  return {
    path: e.details?.['path'],
    header: e.details?.['header'],
    reason: e.details?.['reason'],
    message: e.message,
  };
}

describe('parseCustomHeaders', () => {
  it('keeps valid headers in order, names as written', () => {
    const headers = parseCustomHeaders(
      { 'X-Gateway-Key': 'abc 123', 'x-tenant': 'acme', Authorization: 'Bearer t' },
      opts,
    );
    expect(headers).toEqual([
      { name: 'X-Gateway-Key', value: 'abc 123' },
      { name: 'x-tenant', value: 'acme' },
      { name: 'Authorization', value: 'Bearer t' },
    ]);
    expect(Object.isFrozen(headers)).toBe(true);
    expect(customHeaderObject(headers)).toEqual({
      'X-Gateway-Key': 'abc 123',
      'x-tenant': 'acme',
      Authorization: 'Bearer t',
    });
  });

  it('accepts no headers, every token character, a tab and an empty value', () => {
    expect(parseCustomHeaders({}, opts)).toEqual([]);
    expect(parseCustomHeaders({ "!#$%&'*+-.^_`|~09azAZ": 'a\tb', 'X-Empty': '' }, opts)).toHaveLength(2);
  });

  it.each([
    ['Connection', 'hop_by_hop'],
    ['keep-alive', 'hop_by_hop'],
    ['Proxy-Authorization', 'hop_by_hop'],
    ['proxy-anything', 'hop_by_hop'],
    ['TE', 'hop_by_hop'],
    ['Trailer', 'hop_by_hop'],
    ['trailers', 'hop_by_hop'],
    ['Transfer-Encoding', 'hop_by_hop'],
    ['UPGRADE', 'hop_by_hop'],
    ['Host', 'reserved'],
    ['content-length', 'reserved'],
    ['Content-Type', 'reserved'],
    ['Content-Encoding', 'reserved'],
    ['Expect', 'reserved'],
    ['User-Agent', 'reserved'],
    ['Coverbase-Signature', 'collides_with_signature'],
    ['coverbase-event-id', 'collides_with_signature'],
    ['COVERBASE-Anything', 'collides_with_signature'],
    ['webhook-signature', 'collides_with_signature'],
    ['Webhook-Id', 'collides_with_signature'],
    ['traceparent', 'reserved_for_tracing'],
    ['TraceState', 'reserved_for_tracing'],
  ])('refuses %s (%s), naming it', (name, reason) => {
    const r = refusal({ 'X-Fine': 'ok', [name]: 'v' });
    expect(r).toMatchObject({ path: `headers.${name}`, header: name, reason });
    expect(r.message.startsWith(`headers.${name}: `)).toBe(true);
  });

  it('allows names that only look like reserved ones', () => {
    expect(() =>
      parseCustomHeaders(
        { Coverbase: 'x', Webhook: 'x', 'X-Coverbase-Tag': 'x', Hosts: 'x', Proxy: 'x' },
        opts,
      ),
    ).not.toThrow();
  });

  it('follows the configured prefix', () => {
    const acme = { headerPrefix: 'Acme' };
    expect(refusal({ 'Acme-Signature': 'x' }, acme).reason).toBe('collides_with_signature');
    expect(refusal({ 'Acme-Signature': 'x' }, acme).message).toContain('Acme-*');
    expect(parseCustomHeaders({ 'Coverbase-Tag': 'x' }, acme)).toHaveLength(1);
    expect(refusalOf('acme-x', acme)).toBe('collides_with_signature');
    expect(refusalOf('X-Acme', acme)).toBeUndefined();
  });

  it.each([
    ['a space', 'X Key'],
    ['a colon', 'X-Key:'],
    ['a non-ASCII letter', 'X-Clé'],
    ['a slash', 'X/Key'],
    ['CRLF', 'X-Key\r\nInjected'],
    ['the empty string', ''],
  ])('refuses a name with %s', (_what, name) => {
    const r = refusal({ [name]: 'v' });
    expect(r.reason).toBe('invalid_name');
    expect(r.message).not.toMatch(/[\r\n]/);
  });

  it('refuses the same name twice in any case', () => {
    expect(refusal({ 'X-Key': 'a', 'x-key': 'b' })).toMatchObject({ header: 'x-key', reason: 'duplicate' });
  });

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['a non-ASCII character', 'café'],
    ['leading whitespace', ' a'],
    ['trailing whitespace', 'a\t'],
  ])('refuses a value with %s, without echoing it', (_what, value) => {
    const r = refusal({ 'X-Key': value });
    expect(r).toMatchObject({ header: 'X-Key', reason: 'invalid_value' });
    expect(r.message).not.toContain(value);
  });

  it('refuses values that are not strings', () => {
    expect(refusal({ 'X-Key': 5 }).reason).toBe('wrong_type');
    expect(refusal({ 'X-Key': null }).reason).toBe('wrong_type');
    expect(refusal({ 'X-Key': ['a'] }).reason).toBe('wrong_type');
  });

  it('refuses what is not an object', () => {
    for (const value of [null, [], 'X-Key: v', 3]) {
      expect(refusal(value)).toMatchObject({ path: 'headers', reason: 'not_object' });
    }
  });

  it(`allows ${MAX_CUSTOM_HEADERS} headers, not one more`, () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v']));
    expect(parseCustomHeaders(many(MAX_CUSTOM_HEADERS), opts)).toHaveLength(MAX_CUSTOM_HEADERS);
    expect(refusal(many(MAX_CUSTOM_HEADERS + 1))).toMatchObject({ path: 'headers', reason: 'too_many' });
  });

  it(`allows ${MAX_CUSTOM_HEADER_BYTES} bytes of names and values, not one more`, () => {
    const exact = { 'X-A': 'a'.repeat(4000), 'X-B': 'b'.repeat(MAX_CUSTOM_HEADER_BYTES - 4000 - 6) };
    expect(parseCustomHeaders(exact, opts)).toHaveLength(2);
    const over = { ...exact, 'X-B': `${exact['X-B']}b` };
    expect(refusal(over)).toMatchObject({ header: 'X-B', reason: 'too_large' });
  });

  it('keeps a header named __proto__ as a header', () => {
    const parsed = parseCustomHeaders(JSON.parse('{"__proto__":"x"}'), opts);
    expect(parsed).toEqual([{ name: '__proto__', value: 'x' }]);
    expect(Object.hasOwn(customHeaderObject(parsed), '__proto__')).toBe(true);
    expect(Object.hasOwn(sendableCustomHeaders(parsed, opts).headers, '__proto__')).toBe(true);
  });

  it('accepts exactly the tokens of RFC 7230 (property)', () => {
    const tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12, unit: 'binary-ascii' }), (name) => {
        const isToken = [...name].every((c) => tchar.includes(c));
        const named = `X-${name}`;
        const err = (() => {
          try {
            parseCustomHeaders({ [named]: 'v' }, opts);
            return undefined;
          } catch (e) {
            return e as HookstreamError;
          }
        })();
        expect(err?.details?.['reason'] === 'invalid_name').toBe(!isToken);
      }),
    );
  });
});

describe('sendableCustomHeaders', () => {
  it('keeps what is still allowed and names what a new prefix now forbids', () => {
    const stored = parseCustomHeaders({ 'Acme-Tag': 'x', 'X-Key': 'k' }, opts);
    expect(sendableCustomHeaders(stored, opts)).toEqual({
      headers: { 'Acme-Tag': 'x', 'X-Key': 'k' },
      dropped: [],
    });
    expect(sendableCustomHeaders(stored, { headerPrefix: 'Acme' })).toEqual({
      headers: { 'X-Key': 'k' },
      dropped: ['Acme-Tag'],
    });
  });

  it('drops stored headers that were never valid', () => {
    const tampered = [
      { name: 'Host', value: 'evil' },
      { name: 'X-Bad', value: 'a\r\nb' },
      { name: 'Bad Name', value: 'v' },
    ];
    expect(sendableCustomHeaders(tampered, opts)).toEqual({
      headers: {},
      dropped: ['Host', 'X-Bad', 'Bad Name'],
    });
  });
});
