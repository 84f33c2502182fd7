import { describe, expect, it } from 'vitest';
import { errorChain, tlsFailure } from '../../../src/core/tls-failure.js';

function wrapped(name: string, props: Record<string, unknown> = {}, cause?: unknown): Error {
  return Object.assign(new Error(name), { name, cause, ...props });
}

describe('errorChain', () => {
  it('follows cause and kafkajs originalError, outermost first, at most 8 deep', () => {
    const inner = wrapped('Inner', { code: 'X' });
    const mid = Object.assign(new Error('mid'), { originalError: inner });
    expect(errorChain(wrapped('Outer', {}, mid)).map((e) => e.name)).toEqual(['Outer', 'Error', 'Inner']);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(errorChain(loop)).toHaveLength(8);
    expect(errorChain(undefined)).toEqual([]);
    expect(errorChain('a string')).toEqual([]);
  });
});

describe('tlsFailure', () => {
  it('finds an untrusted certificate anywhere in the chain, before a handshake code', () => {
    const tls = wrapped('Error', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const err = wrapped('MongoServerSelectionError', {}, wrapped('MongoNetworkError', {}, tls));
    expect(tlsFailure(err)).toEqual({ kind: 'untrusted', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const both = wrapped('A', { code: 'ERR_SSL_X' }, wrapped('B', { code: 'CERT_HAS_EXPIRED' }));
    expect(tlsFailure(both)).toEqual({ kind: 'untrusted', code: 'CERT_HAS_EXPIRED' });
  });

  it('reads an OpenSSL ERR_SSL_* code as a failed handshake', () => {
    const alert = wrapped('KafkaJSConnectionError', { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(tlsFailure(alert)).toEqual({
      kind: 'handshake',
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
  });

  it('is null for what retrying can heal: refused, reset, timed out, no code at all', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', undefined, 18]) {
      expect(tlsFailure(wrapped('MongoServerSelectionError', {}, wrapped('Error', { code })))).toBeNull();
    }
    expect(tlsFailure(null)).toBeNull();
  });
});
