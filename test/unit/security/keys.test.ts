/** The two keys of the configuration: a strict 32-byte HOOKSTREAM_SECRET_KEY, a long admin key. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { isHookstreamError } from '../../../src/core/errors.js';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/x' };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    if (isHookstreamError(err, 'INVALID_CONFIG')) return err.message;
    throw err;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('HOOKSTREAM_SECRET_KEY', () => {
  const key = Buffer.alloc(32, 0xab);

  it('accepts exactly 64 hex characters or the 44-character base64 of 32 bytes', () => {
    expect(loadConfig({ ...base, HOOKSTREAM_SECRET_KEY: key.toString('hex') }).secretKey).toEqual(key);
    expect(loadConfig({ ...base, HOOKSTREAM_SECRET_KEY: key.toString('base64') }).secretKey).toEqual(key);
  });

  it.each([
    ['a 43-character passphrase', 'correct-horse-battery-staple-and-some-more1'],
    ['base64 without its padding', key.toString('base64').slice(0, 43)],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url')],
    ['base64 of 31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['63 hex characters', 'a'.repeat(63)],
    ['non-canonical base64', `${key.toString('base64').slice(0, 42)}v=`],
  ])('refuses %s with a clear error that does not echo the value', (_name, value) => {
    const message = refusal({ HOOKSTREAM_SECRET_KEY: value });
    expect(message).toMatch(
      /^HOOKSTREAM_SECRET_KEY: must be 32 bytes written as 64 hex characters or 44 base64/,
    );
    expect(message).toContain(`got ${value.length} characters`);
    expect(message).not.toContain(value);
  });
});

describe('HOOKSTREAM_ADMIN_API_KEY', () => {
  it.each([
    ['16 characters', 'abcdefgh01234567'],
    ['31 characters', 'abcdefghij0123456789abcdefghij0'],
    ['one repeated letter', 'a'.repeat(40)],
    ['a short pattern', 'abab'.repeat(10)],
  ])('refuses %s', (_name, value) => {
    expect(refusal({ HOOKSTREAM_ADMIN_API_KEY: value })).toContain('must be at least 32 characters');
  });

  it('accepts 32 varied characters, e.g. openssl rand -hex 24', () => {
    const key = 'f3a9c2e4b7d1086a5c3e9f2b4d6a8c0e1f3a5b7c9d0e2f41';
    expect(loadConfig({ ...base, HOOKSTREAM_ADMIN_API_KEY: key }).adminApiKey).toBe(key);
  });
});
