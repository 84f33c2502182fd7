/** Kafka TLS/SASL and schema registry settings: every bad combination names the variable, never the secret. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { HookstreamError } from '../../../src/core/errors.js';

const base = { KAFKA_BROKERS: '127.0.0.1:9094', MONGODB_URI: 'mongodb://127.0.0.1:27017/hookstream' };
const PASSWORD = 'pa55-Secret-value-7f3a';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEkey-material-9c1d\n-----END PRIVATE KEY-----\n';

/** An in-memory file system for `loadConfig`'s readFile; a missing path fails as Node does. */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

const fs = files({
  '/tls/ca.pem': CA,
  '/tls/client.pem': CA,
  '/tls/client.key': KEY,
  '/tls/encrypted.key': '-----BEGIN ENCRYPTED PRIVATE KEY-----\nxx\n-----END ENCRYPTED PRIVATE KEY-----\n',
  '/secrets/password': `${PASSWORD}\n`,
  '/secrets/empty': '\n',
});

function error(env: Record<string, string>): HookstreamError {
  try {
    loadConfig({ ...base, ...env }, fs);
  } catch (err) {
    expect(err).toBeInstanceOf(HookstreamError);
    return err as HookstreamError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('Kafka TLS and SASL settings', () => {
  it('defaults to plaintext without SASL', () => {
    const c = loadConfig(base, fs);
    expect(c.kafka.ssl).toBeNull();
    expect(c.kafka.sasl).toBeNull();
  });

  it('reads the CA, client certificate and key files, and SCRAM from a password file', () => {
    const c = loadConfig(
      {
        ...base,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/tls/ca.pem',
        KAFKA_SSL_CERT_FILE: '/tls/client.pem',
        KAFKA_SSL_KEY_FILE: '/tls/client.key',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'hookstream',
        KAFKA_SASL_PASSWORD_FILE: '/secrets/password',
      },
      fs,
    );
    expect(c.kafka.ssl).toEqual({ ca: CA, cert: CA, key: KEY, rejectUnauthorized: true });
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'hookstream', password: PASSWORD });
  });

  it('takes an inline password and KAFKA_SSL_REJECT_UNAUTHORIZED=false', () => {
    const c = loadConfig(
      {
        ...base,
        KAFKA_SSL: 'true',
        KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: PASSWORD,
      },
      fs,
    );
    expect(c.kafka.ssl).toEqual({ ca: null, cert: null, key: null, rejectUnauthorized: false });
    expect(c.kafka.sasl?.password).toBe(PASSWORD);
  });

  const sasl = { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' };
  const cases: [string, Record<string, string>, string][] = [
    ['KAFKA_SSL not a boolean', { KAFKA_SSL: 'maybe' }, 'KAFKA_SSL'],
    [
      'reject-unauthorized not a boolean',
      { KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'x' },
      'KAFKA_SSL_REJECT_UNAUTHORIZED',
    ],
    ['a CA file without KAFKA_SSL', { KAFKA_SSL_CA_FILE: '/tls/ca.pem' }, 'KAFKA_SSL_CA_FILE'],
    ['a missing CA file', { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nope.pem' }, 'KAFKA_SSL_CA_FILE'],
    [
      'a key where the CA belongs',
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/tls/client.key' },
      'KAFKA_SSL_CA_FILE',
    ],
    [
      'a certificate without its key',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/tls/client.pem' },
      'KAFKA_SSL_KEY_FILE',
    ],
    [
      'a key without its certificate',
      { KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: '/tls/client.key' },
      'KAFKA_SSL_CERT_FILE',
    ],
    [
      'a certificate where the key belongs',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/tls/client.pem', KAFKA_SSL_KEY_FILE: '/tls/ca.pem' },
      'KAFKA_SSL_KEY_FILE',
    ],
    [
      'an encrypted key',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/tls/client.pem', KAFKA_SSL_KEY_FILE: '/tls/encrypted.key' },
      'KAFKA_SSL_KEY_FILE',
    ],
    [
      'mutual TLS files without KAFKA_SSL',
      { KAFKA_SSL_CERT_FILE: '/tls/client.pem', KAFKA_SSL_KEY_FILE: '/tls/client.key' },
      'KAFKA_SSL_CERT_FILE',
    ],
    [
      'an unknown mechanism',
      { ...sasl, KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_PASSWORD: PASSWORD },
      'KAFKA_SASL_MECHANISM',
    ],
    ['a password without a mechanism', { KAFKA_SASL_PASSWORD: PASSWORD }, 'KAFKA_SASL_MECHANISM'],
    ['a user name without a mechanism', { KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_MECHANISM'],
    [
      'a mechanism without a user name',
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD },
      'KAFKA_SASL_USERNAME',
    ],
    ['a mechanism without a password', sasl, 'KAFKA_SASL_PASSWORD'],
    [
      'both password and password file',
      { ...sasl, KAFKA_SASL_PASSWORD: PASSWORD, KAFKA_SASL_PASSWORD_FILE: '/secrets/password' },
      'KAFKA_SASL_PASSWORD_FILE',
    ],
    [
      'a missing password file',
      { ...sasl, KAFKA_SASL_PASSWORD_FILE: '/secrets/none' },
      'KAFKA_SASL_PASSWORD_FILE',
    ],
    [
      'an empty password file',
      { ...sasl, KAFKA_SASL_PASSWORD_FILE: '/secrets/empty' },
      'KAFKA_SASL_PASSWORD_FILE',
    ],
  ];
  it.each(cases)('refuses %s, naming %s and never the secret', (_what, env, variable) => {
    const err = error(env);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message.startsWith(`${variable}:`)).toBe(true);
    expect(err.details).toEqual({ variable });
    for (const secret of [PASSWORD, 'key-material-9c1d']) {
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err.details)).not.toContain(secret);
    }
  });
});

describe('schema registry settings', () => {
  const url = { SCHEMA_REGISTRY_URL: 'https://registry.example:8081' };

  it('carries credentials (from a file) and the CA', () => {
    const c = loadConfig(
      {
        ...base,
        ...url,
        SCHEMA_REGISTRY_USERNAME: 'sr-user',
        SCHEMA_REGISTRY_PASSWORD_FILE: '/secrets/password',
        SCHEMA_REGISTRY_CA_FILE: '/tls/ca.pem',
      },
      fs,
    );
    expect(c.schemaRegistry).toEqual({
      url: url.SCHEMA_REGISTRY_URL,
      auth: { username: 'sr-user', password: PASSWORD },
      ca: CA,
    });
    expect(loadConfig({ ...base, ...url }, fs).schemaRegistry).toEqual({
      url: url.SCHEMA_REGISTRY_URL,
      auth: null,
      ca: null,
    });
    expect(loadConfig(base, fs).schemaRegistry).toBeNull();
  });

  const cases: [string, Record<string, string>, string][] = [
    ['a user without a password', { ...url, SCHEMA_REGISTRY_USERNAME: 'u' }, 'SCHEMA_REGISTRY_PASSWORD'],
    ['a password without a user', { ...url, SCHEMA_REGISTRY_PASSWORD: PASSWORD }, 'SCHEMA_REGISTRY_USERNAME'],
    [
      'credentials without a URL',
      { SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: PASSWORD },
      'SCHEMA_REGISTRY_URL',
    ],
    ['a CA without a URL', { SCHEMA_REGISTRY_CA_FILE: '/tls/ca.pem' }, 'SCHEMA_REGISTRY_URL'],
    [
      'a CA with an http:// URL',
      { SCHEMA_REGISTRY_URL: 'http://r:8081', SCHEMA_REGISTRY_CA_FILE: '/tls/ca.pem' },
      'SCHEMA_REGISTRY_CA_FILE',
    ],
    [
      'a CA file that is no certificate',
      { ...url, SCHEMA_REGISTRY_CA_FILE: '/secrets/password' },
      'SCHEMA_REGISTRY_CA_FILE',
    ],
    [
      'both password and password file',
      {
        ...url,
        SCHEMA_REGISTRY_USERNAME: 'u',
        SCHEMA_REGISTRY_PASSWORD: PASSWORD,
        SCHEMA_REGISTRY_PASSWORD_FILE: '/secrets/password',
      },
      'SCHEMA_REGISTRY_PASSWORD_FILE',
    ],
    [
      'an empty password file',
      { ...url, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD_FILE: '/secrets/empty' },
      'SCHEMA_REGISTRY_PASSWORD_FILE',
    ],
  ];
  it.each(cases)('refuses %s, naming %s and never the secret', (_what, env, variable) => {
    const err = error(env);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message.startsWith(`${variable}:`)).toBe(true);
    expect(err.message).not.toContain(PASSWORD);
  });
});
