import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32, DELIVERY_ID_RE, deliveryId, newId } from '../../../src/core/ids.js';

describe('base32', () => {
  // RFC 4648 §10 test vectors, lowercase and without padding.
  it.each([
    ['', ''],
    ['f', 'my'],
    ['fo', 'mzxq'],
    ['foo', 'mzxw6'],
    ['foob', 'mzxw6yq'],
    ['fooba', 'mzxw6ytb'],
    ['foobar', 'mzxw6ytboi'],
  ])('%j → %j', (text, encoded) => {
    expect(base32(Buffer.from(text))).toBe(encoded);
  });

  it('agrees with a bit-by-bit reference', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
        const padded = bits.padEnd(Math.ceil(bits.length / 5) * 5, '0');
        const expected = (padded.match(/.{5}/g) ?? [])
          .map((chunk) => alphabet[Number.parseInt(chunk, 2)])
          .join('');
        expect(base32(bytes)).toBe(expected);
      }),
    );
  });
});

describe('deliveryId', () => {
  it('is dlv_ + base32 of the first 16 bytes of sha256(eventId NUL webhookId)', () => {
    // Computed independently: base32(sha256(b"evt_1\0wh_1")[:16]) in Python.
    expect(deliveryId('evt_1', 'wh_1')).toBe('dlv_547zl4hemd563hurkebjh4o7dq');
  });

  it('is stable per pair and distinct across pairs', () => {
    expect(deliveryId('evt_1', 'wh_1')).toBe(deliveryId('evt_1', 'wh_1'));
    expect(deliveryId('evt_1', 'wh_2')).not.toBe(deliveryId('evt_1', 'wh_1'));
    expect(deliveryId('evt_2', 'wh_1')).not.toBe(deliveryId('evt_1', 'wh_1'));
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(deliveryId('ab', 'c')).not.toBe(deliveryId('a', 'bc'));
  });

  it('always matches DELIVERY_ID_RE', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (e, w) => {
        expect(deliveryId(e, w)).toMatch(DELIVERY_ID_RE);
      }),
    );
  });
});

describe('newId', () => {
  it('is prefix_ + base32 of the random bytes', () => {
    expect(newId('wh', new Uint8Array(16))).toBe(`wh_${'a'.repeat(26)}`);
    expect(newId('key', new Uint8Array(16).fill(255))).toBe(`key_${'7'.repeat(25)}4`);
    expect(newId('wh', new Uint8Array(32))).toHaveLength(3 + 52);
  });

  it.each(['', 'WH', 'wh_', '1wh', 'w-h', 'abcdefghijklmnopq'])('rejects prefix %j', (prefix) => {
    expect(() => newId(prefix, new Uint8Array(16))).toThrow(RangeError);
  });

  it('needs at least 16 random bytes', () => {
    expect(() => newId('wh', new Uint8Array(15))).toThrow(RangeError);
  });
});
