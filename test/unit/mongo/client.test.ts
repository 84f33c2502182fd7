import { describe, expect, it } from 'vitest';
import { databaseName, mongoSecurityError } from '../../../src/mongo/client.js';

const PASSWORD = 's3cret-pa55';
const URI = `mongodb://svc:${PASSWORD}@db1:27017,db2:27017/hooks?tls=true&tlsCAFile=/etc/ca.pem`;

/** The shape the driver rejects `connect()` with: selection error → network error → Node's error. */
function driverError(inner: Record<string, unknown>): Error {
  const node = Object.assign(new Error('node'), inner);
  const network = Object.assign(new Error('network'), { name: 'MongoNetworkError', cause: node });
  return Object.assign(new Error('selection'), { name: 'MongoServerSelectionError', cause: network });
}

describe('mongoSecurityError', () => {
  it('makes an untrusted certificate, a failed handshake and a rejected login fatal, naming the servers and never the password', () => {
    const cases: [Error, RegExp][] = [
      [
        driverError({ code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
        /not trusted \(SELF_SIGNED_CERT_IN_CHAIN\): check tlsCAFile/,
      ],
      [driverError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), /TLS handshake failed .*tlsCertificateKeyFile/],
      [
        Object.assign(new Error('Authentication failed.'), { name: 'MongoServerError', code: 18 }),
        /rejected the login of user "svc": check the user, password/,
      ],
    ];
    for (const [err, clear] of cases) {
      const fatal = mongoSecurityError(err, URI);
      expect(fatal?.code).toBe('MONGODB_SECURITY_FAILED');
      expect(fatal?.retriable).toBe(false);
      expect(fatal?.message).toMatch(/^MongoDB db1:27017,db2:27017/);
      expect(fatal?.message).toMatch(clear);
      expect(fatal?.message).not.toContain(PASSWORD);
      expect(JSON.stringify(fatal?.details)).not.toContain(PASSWORD);
      expect(fatal?.cause).toBe(err);
    }
  });

  it('leaves what a restart or an outage also looks like to the retries', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', undefined]) {
      expect(mongoSecurityError(driverError({ code }), URI)).toBeNull();
    }
  });

  it('names the servers of a URI without credentials too', () => {
    const fatal = mongoSecurityError(
      driverError({ code: 'CERT_HAS_EXPIRED' }),
      'mongodb://127.0.0.1:27018/x?tls=true',
    );
    expect(fatal?.message).toMatch(/^MongoDB 127\.0\.0\.1:27018: /);
  });
});

describe('databaseName', () => {
  it('is the path of the URI, else hookstream', () => {
    expect(databaseName(URI)).toBe('hooks');
    expect(databaseName('mongodb+srv://h.example.com/?tls=true')).toBe('hookstream');
  });
});
