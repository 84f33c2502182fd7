import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HookstreamError } from '../../../src/core/errors.js';
import {
  sign,
  signatureHeader,
  standardWebhooksHeaders,
  verify,
  verifyStandardWebhook,
} from '../../../src/core/signing.js';
import { thrown } from './thrown.js';

const T = 1_700_000_000;
const BODY = '{"a":1}';
// Both computed independently: printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac <secret>
const SIG_NEW = '38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789'; // secret whsec_test
const SIG_OLD = 'e29ca811af373f1279f2b539116c71422ef13c442c1d2e1ce1f372109610a6b0'; // secret old-secret

describe('sign', () => {
  it('is hex HMAC-SHA256 over "<t>.<body>" keyed with the whole secret', () => {
    expect(sign({ secret: 'whsec_test', timestampSec: T, body: BODY })).toBe(SIG_NEW);
    expect(sign({ secret: 'old-secret', timestampSec: T, body: BODY })).toBe(SIG_OLD);
  });

  it('treats a string body and secret as UTF-8', () => {
    // Python: hmac.new("sécret-ü".encode(), '1700000000.{"name":"Zoë ☃"}'.encode(), sha256).hexdigest()
    const expected = '29d1fdfde7253c63859129dcd97486e5e787c60d242c9fec2db7d68c2fde6ba3';
    const body = '{"name":"Zoë ☃"}';
    expect(sign({ secret: 'sécret-ü', timestampSec: T, body })).toBe(expected);
    expect(sign({ secret: 'sécret-ü', timestampSec: T, body: Buffer.from(body) })).toBe(expected);
  });

  it.each([-1, 1.5, Number.NaN])('rejects timestamp %d', (timestampSec) => {
    expect(() => sign({ secret: 's', timestampSec, body: BODY })).toThrow(RangeError);
  });

  it('rejects an empty secret', () => {
    expect(() => sign({ secret: '', timestampSec: T, body: BODY })).toThrow(RangeError);
  });
});

describe('signatureHeader', () => {
  it('has one v1 per secret, in order', () => {
    expect(signatureHeader({ secrets: ['whsec_test'], timestampSec: T, body: BODY })).toBe(
      `t=${T},v1=${SIG_NEW}`,
    );
    expect(signatureHeader({ secrets: ['whsec_test', 'old-secret'], timestampSec: T, body: BODY })).toBe(
      `t=${T},v1=${SIG_NEW},v1=${SIG_OLD}`,
    );
  });

  it('needs a secret', () => {
    expect(() => signatureHeader({ secrets: [], timestampSec: T, body: BODY })).toThrow(RangeError);
  });
});

describe('verify', () => {
  const header = `t=${T},v1=${SIG_NEW}`;
  const ok = { header, body: BODY, secrets: 'whsec_test', nowSec: T };

  it('returns the timestamp of a valid signature', () => {
    expect(verify(ok)).toEqual({ timestampSec: T });
    expect(verify({ ...ok, body: Buffer.from(BODY) })).toEqual({ timestampSec: T });
  });

  it('accepts any v1 matching any secret (rotation)', () => {
    const rotated = `t=${T},v1=${SIG_NEW},v1=${SIG_OLD}`;
    expect(verify({ ...ok, header: rotated, secrets: ['old-secret'] })).toEqual({ timestampSec: T });
    expect(verify({ ...ok, header: `t=${T},v1=${SIG_OLD}`, secrets: ['whsec_test', 'old-secret'] })).toEqual({
      timestampSec: T,
    });
  });

  it('tolerates spaces, upper-case hex, any order and unknown schemes', () => {
    expect(verify({ ...ok, header: `v0=abc, v1=${SIG_NEW.toUpperCase()} , t=${T}` })).toEqual({
      timestampSec: T,
    });
  });

  it.each<[string, Partial<typeof ok>]>([
    ['a wrong secret', { secrets: 'whsec_other' }],
    ['a tampered body', { body: '{"a":2}' }],
    ['a body with a trailing newline', { body: `${BODY}\n` }],
    ['a different timestamp', { header: `t=${T + 1},v1=${SIG_NEW}`, nowSec: T + 1 }],
    ['a signature of another secret', { header: `t=${T},v1=${SIG_OLD}` }],
  ])('rejects %s as a mismatch', (_name, change) => {
    expect(thrown(() => verify({ ...ok, ...change }))).toMatchObject({
      code: 'SIGNATURE_INVALID',
      details: { reason: 'mismatch' },
    });
  });

  it.each<[string, string | string[] | undefined]>([
    ['absent', undefined],
    ['empty', ''],
    ['repeated', [header, header]],
    ['garbage', 'garbage'],
    ['without t', `v1=${SIG_NEW}`],
    ['without v1', `t=${T}`],
    ['with two t', `t=${T},t=${T},v1=${SIG_NEW}`],
    ['with a non-numeric t', `t=abc,v1=${SIG_NEW}`],
    ['with a negative t', `t=-${T},v1=${SIG_NEW}`],
    ['with a fractional t', `t=${T}.5,v1=${SIG_NEW}`],
    ['with a short v1', `t=${T},v1=${SIG_NEW.slice(1)}`],
    ['with a non-hex v1', `t=${T},v1=${'z'.repeat(64)}`],
    ['with an empty part', `t=${T},,v1=${SIG_NEW}`],
    ['with a part without =', `t=${T},v1`],
  ])('rejects a header %s as malformed', (_name, value) => {
    const err = thrown(() => verify({ ...ok, header: value }));
    expect(err).toBeInstanceOf(HookstreamError);
    expect(err).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'malformed' } });
  });

  it('allows 300 s of clock difference by default, in both directions', () => {
    expect(verify({ ...ok, nowSec: T + 300 })).toEqual({ timestampSec: T });
    expect(verify({ ...ok, nowSec: T - 300 })).toEqual({ timestampSec: T });
    for (const nowSec of [T + 301, T - 301]) {
      expect(thrown(() => verify({ ...ok, nowSec }))).toMatchObject({ code: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    }
  });

  it('takes a custom tolerance', () => {
    expect(verify({ ...ok, nowSec: T + 3_600, toleranceSec: 3_600 })).toEqual({ timestampSec: T });
    expect(thrown(() => verify({ ...ok, nowSec: T + 1, toleranceSec: 0 }))).toMatchObject({
      code: 'TIMESTAMP_OUT_OF_TOLERANCE',
    });
  });

  it('checks the signature before trusting the timestamp', () => {
    expect(thrown(() => verify({ ...ok, secrets: 'whsec_other', nowSec: T + 10_000 }))).toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });

  it('needs at least one non-empty secret', () => {
    expect(() => verify({ ...ok, secrets: [] })).toThrow(RangeError);
    expect(() => verify({ ...ok, secrets: [''] })).toThrow(RangeError);
  });

  it('round-trips with signatureHeader, and no other secret verifies (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 33 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        (secrets, timestampSec, body) => {
          const [outsider, ...valid] = secrets as [string, ...string[]];
          const signed = signatureHeader({ secrets: valid, timestampSec, body });
          for (const secret of valid) {
            expect(verify({ header: signed, body, secrets: secret, nowSec: timestampSec })).toEqual({
              timestampSec,
            });
          }
          expect(
            thrown(() => verify({ header: signed, body, secrets: outsider, nowSec: timestampSec })),
          ).toMatchObject({
            code: 'SIGNATURE_INVALID',
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Standard Webhooks', () => {
  // The published test vector of the Standard Webhooks specification.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const msgId = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestampSec = 1614265330;
  const body = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const headers = {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signature,
  };

  it('signs the specification test vector', () => {
    expect(standardWebhooksHeaders({ msgId, timestampSec, body, secrets: [secret] })).toEqual(headers);
  });

  it('accepts the secret without its whsec_ prefix', () => {
    expect(
      standardWebhooksHeaders({ msgId, timestampSec, body, secrets: ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] })[
        'webhook-signature'
      ],
    ).toBe(signature);
  });

  it('separates several signatures with spaces', () => {
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const multi = standardWebhooksHeaders({ msgId, timestampSec, body, secrets: [secret, other] });
    expect(multi['webhook-signature']).toMatch(
      new RegExp(`^${signature.replace(/[+/]/g, '\\$&')} v1,[A-Za-z0-9+/]{43}=$`),
    );
  });

  it('verifies the test vector', () => {
    expect(verifyStandardWebhook({ headers, body, secrets: secret, nowSec: timestampSec })).toEqual({
      msgId,
      timestampSec,
    });
  });

  it('matches header names case-insensitively and ignores other versions', () => {
    const mixed = {
      'Webhook-Id': msgId,
      'WEBHOOK-TIMESTAMP': String(timestampSec),
      'Webhook-Signature': `v1a,AAAA v1,${'A'.repeat(43)}= ${signature}`,
    };
    expect(
      verifyStandardWebhook({ headers: mixed, body, secrets: [secret], nowSec: timestampSec + 299 }),
    ).toEqual({
      msgId,
      timestampSec,
    });
  });

  it.each<[string, Record<string, string | undefined>, string, string]>([
    ['a tampered body', headers, '{"test": 2432232315}', 'mismatch'],
    ['another msg id', { ...headers, 'webhook-id': 'msg_other' }, body, 'mismatch'],
    ['another timestamp', { ...headers, 'webhook-timestamp': String(timestampSec + 1) }, body, 'mismatch'],
    ['no id', { ...headers, 'webhook-id': undefined }, body, 'malformed'],
    ['no signature', { ...headers, 'webhook-signature': undefined }, body, 'malformed'],
    ['only other versions', { ...headers, 'webhook-signature': 'v2,abc' }, body, 'malformed'],
    ['a bad timestamp', { ...headers, 'webhook-timestamp': '1614265330.5' }, body, 'malformed'],
    ['a short signature', { ...headers, 'webhook-signature': 'v1,g0hM9SsE' }, body, 'malformed'],
    ['an entry without a comma', { ...headers, 'webhook-signature': 'v1' }, body, 'malformed'],
  ])('rejects %s', (_name, h, b, reason) => {
    expect(
      thrown(() => verifyStandardWebhook({ headers: h, body: b, secrets: secret, nowSec: timestampSec })),
    ).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason } });
  });

  it('rejects an old message', () => {
    expect(
      thrown(() => verifyStandardWebhook({ headers, body, secrets: secret, nowSec: timestampSec + 301 })),
    ).toMatchObject({ code: 'TIMESTAMP_OUT_OF_TOLERANCE' });
  });

  it.each(['whsec_', 'whsec_not base64!', 'whsec_abc'])('rejects the malformed secret %j', (bad) => {
    expect(() => standardWebhooksHeaders({ msgId, timestampSec, body, secrets: [bad] })).toThrow(RangeError);
    expect(() => verifyStandardWebhook({ headers, body, secrets: bad, nowSec: timestampSec })).toThrow(
      RangeError,
    );
  });

  it('round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/),
        fc.integer({ min: 0, max: 2 ** 33 }),
        fc.string({ maxLength: 200 }),
        (key, id, ts, payload) => {
          const s = `whsec_${Buffer.from(key).toString('base64')}`;
          const h = standardWebhooksHeaders({ msgId: id, timestampSec: ts, body: payload, secrets: [s] });
          expect(verifyStandardWebhook({ headers: h, body: payload, secrets: s, nowSec: ts })).toEqual({
            msgId: id,
            timestampSec: ts,
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
