import { describe, expect, it } from 'vitest';
import { classifyConnectFailure, kafkaJsSecurity, securityError } from '../../../src/kafka/security.js';

const PASSWORD = 'hunter2-very-secret';
const security = {
  ssl: { ca: 'CA-PEM', cert: null, key: null, rejectUnauthorized: true },
  sasl: { mechanism: 'scram-sha-512' as const, username: 'svc', password: PASSWORD },
};

/** The shapes kafkajs 2.2 rejects with (seen against Kafka 4.1 SASL_SSL). */
function kafkaJsError(name: string, props: Record<string, unknown> = {}, cause?: unknown): Error {
  return Object.assign(new Error(name), { name, cause, ...props });
}

describe('kafkaJsSecurity', () => {
  it('is empty for plaintext', () => {
    expect(kafkaJsSecurity(undefined)).toEqual({});
    expect(kafkaJsSecurity({ ssl: null, sasl: null })).toEqual({});
  });

  it('maps TLS and SASL to the kafkajs options; the CA replaces the trust store', () => {
    expect(kafkaJsSecurity(security)).toEqual({
      ssl: { rejectUnauthorized: true, ca: ['CA-PEM'] },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: PASSWORD },
    });
    const mtls = { ...security.ssl, ca: null, cert: 'CERT', key: 'KEY', rejectUnauthorized: false };
    expect(kafkaJsSecurity({ ssl: mtls, sasl: null })).toEqual({
      ssl: { rejectUnauthorized: false, cert: 'CERT', key: 'KEY' },
    });
  });
});

describe('classifyConnectFailure', () => {
  it('reads a rejected login, an untrusted certificate and a closed connection through the cause chain', () => {
    expect(classifyConnectFailure(kafkaJsError('KafkaJSSASLAuthenticationError'))).toEqual({ kind: 'auth' });
    const saslOnPlainListener = kafkaJsError('KafkaJSProtocolError', { type: 'ILLEGAL_SASL_STATE' });
    expect(classifyConnectFailure(kafkaJsError('KafkaJSNonRetriableError', {}, saslOnPlainListener))).toEqual(
      {
        kind: 'auth',
      },
    );
    const tls = kafkaJsError('KafkaJSConnectionError', { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(classifyConnectFailure(kafkaJsError('KafkaJSNumberOfRetriesExceeded', {}, tls))).toEqual({
      kind: 'untrusted',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    const closed = kafkaJsError('KafkaJSConnectionClosedError');
    expect(classifyConnectFailure(kafkaJsError('KafkaJSNumberOfRetriesExceeded', {}, closed))).toEqual({
      kind: 'closed',
    });
    const alert = kafkaJsError('KafkaJSConnectionError', { code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' });
    expect(classifyConnectFailure(alert)).toEqual({
      kind: 'handshake',
      code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    });
    const reset = kafkaJsError('KafkaJSConnectionError', { code: 'ECONNRESET' });
    expect(classifyConnectFailure(reset)).toEqual({ kind: 'closed' });
  });

  it('leaves an unreachable broker to the retries', () => {
    const refused = kafkaJsError('KafkaJSConnectionError', { code: 'ECONNREFUSED' });
    expect(classifyConnectFailure(kafkaJsError('KafkaJSNumberOfRetriesExceeded', {}, refused))).toEqual({
      kind: 'other',
    });
    expect(classifyConnectFailure(new Error('timeout'))).toEqual({ kind: 'other' });
    expect(classifyConnectFailure(undefined)).toEqual({ kind: 'other' });
  });
});

describe('securityError', () => {
  it('names the broker and the variables to check, never the password', () => {
    for (const failure of [
      { kind: 'auth' as const },
      { kind: 'untrusted' as const, code: 'CERT_HAS_EXPIRED' },
      { kind: 'handshake' as const, code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
      { kind: 'closed' as const },
    ]) {
      const err = securityError(failure, ['b1:9094'], security, new Error('x'));
      expect(err?.code).toBe('KAFKA_SECURITY_FAILED');
      expect(err?.retriable).toBe(false);
      expect(err?.message).toContain('b1:9094');
      expect(err?.message).toMatch(/KAFKA_SASL_PASSWORD|KAFKA_SSL_CA_FILE|KAFKA_SSL/);
      expect(err?.message).not.toContain(PASSWORD);
      expect(JSON.stringify(err?.details)).not.toContain(PASSWORD);
    }
    expect(securityError({ kind: 'other' }, ['b1:9094'], security, null)).toBeNull();
  });
});
