import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { kafkaJsSecurity } from '../../../src/kafka/security.js';
import { createLogger } from '../../../src/observability/logger.js';

const PASSWORD = 'scram-password-4d2c';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey-material-8a1b\n-----END PRIVATE KEY-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  });
  return { logger: createLogger({ level: 'info' }, sink), text: () => out };
}

describe('logger redaction of Kafka and schema registry credentials', () => {
  it('never prints a SASL password, a TLS key or a registry password, whichever object carries them', () => {
    const files: Record<string, string> = { '/k': KEY, '/c': CERT, '/p': PASSWORD };
    const config = loadConfig(
      {
        KAFKA_BROKERS: 'b:9094',
        MONGODB_URI: 'mongodb://u:mongo-pass@m:27017/hookstream',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CERT_FILE: '/c',
        KAFKA_SSL_KEY_FILE: '/k',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'svc',
        KAFKA_SASL_PASSWORD_FILE: '/p',
        SCHEMA_REGISTRY_URL: 'https://sr:8081',
        SCHEMA_REGISTRY_USERNAME: 'sr',
        SCHEMA_REGISTRY_PASSWORD: PASSWORD,
      },
      (path) => files[path]!,
    );
    const { logger, text } = capture();
    logger.info({ config }, 'the whole config');
    logger.info(kafkaJsSecurity(config.kafka), 'kafkajs options at top level');
    logger.info({ kafka: kafkaJsSecurity(config.kafka) }, 'kafkajs options one level down');
    logger.info({ auth: config.schemaRegistry?.auth }, 'registry auth');
    expect(text()).toContain('svc');
    expect(text()).not.toContain(PASSWORD);
    expect(text()).not.toContain('key-material-8a1b');
    expect(text()).not.toContain('mongo-pass');
  });
});
