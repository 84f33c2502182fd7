import { describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES, loadConfig, VARIABLES } from '../../../src/config/config.js';
import { topicNames } from '../../../src/config/topics.js';
import type { HookstreamError } from '../../../src/core/errors.js';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/hookstream' };

function error(env: Record<string, string>): HookstreamError {
  try {
    loadConfig(env);
  } catch (err) {
    return err as HookstreamError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.eventTopics).toEqual(['domain-events']);
    expect(c.topicPrefix).toBe('hookstream');
    expect(c.tiers.map((t) => [t.name, t.delayMs])).toEqual([
      ['1m', 60_000],
      ['10m', 600_000],
      ['1h', 3_600_000],
      ['6h', 21_600_000],
    ]);
    expect(c.retryBudgetMs).toBe(86_400_000);
    expect(c.deliveryTimeoutMs).toBe(10_000);
    expect(c.headerPrefix).toBe('Coverbase');
    expect(c.api.port).toBe(8080);
    expect(c.allowHttp).toBe(false);
    expect(c.allowPrivateTargets).toBe(false);
    expect(c.secretKey).toBeNull();
    expect(c.deliveryRecords).toBe('full');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{}, 'KAFKA_BROKERS: is required but not set'],
    [{ KAFKA_BROKERS: 'nope' }, 'KAFKA_BROKERS: "nope" is not host:port'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI: must start with mongodb:// or mongodb+srv://'],
    [{ HOOKSTREAM_RETRY_TIERS: '10m,1m' }, 'HOOKSTREAM_RETRY_TIERS'],
    [{ HOOKSTREAM_RETRY_BUDGET: 'forever' }, 'HOOKSTREAM_RETRY_BUDGET'],
    [
      { HOOKSTREAM_DELIVERY_TIMEOUT_MS: '10s' },
      'HOOKSTREAM_DELIVERY_TIMEOUT_MS: must be a whole number, got "10s"',
    ],
    [{ HOOKSTREAM_ALLOW_HTTP: 'maybe' }, 'HOOKSTREAM_ALLOW_HTTP: must be true or false, got "maybe"'],
    [{ HOOKSTREAM_SECRET_KEY: 'short' }, 'HOOKSTREAM_SECRET_KEY: must be 32 bytes'],
    [{ HOOKSTREAM_ADMIN_API_KEY: 'tiny' }, 'HOOKSTREAM_ADMIN_API_KEY: must be at least 32 characters'],
    [{ HOOKSTREAM_TOPIC_PREFIX: 'bad prefix' }, 'HOOKSTREAM_TOPIC_PREFIX'],
    [{ HOOKSTREAM_DELIVERY_RECORDS: 'some' }, 'HOOKSTREAM_DELIVERY_RECORDS: must be "full" or "failures"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of'],
  ])('rejects %o with a message naming the variable', (overrides, message) => {
    const env = Object.keys(overrides).length === 0 ? {} : { ...base, ...overrides };
    const err = error(env as Record<string, string>);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain(message);
  });

  it('accepts the secret key as hex or base64', () => {
    const hex = loadConfig({ ...base, HOOKSTREAM_SECRET_KEY: 'ab'.repeat(32) });
    const b64 = loadConfig({ ...base, HOOKSTREAM_SECRET_KEY: Buffer.alloc(32, 0xab).toString('base64') });
    expect(hex.secretKey).toEqual(b64.secretKey);
  });

  it('documents every variable it reads, each once', () => {
    expect(KNOWN_VARIABLES.size).toBe(VARIABLES.length);
    for (const v of VARIABLES) expect(v.description.length).toBeGreaterThan(10);
  });
});

describe('topicNames', () => {
  it('derives every topic and group from the prefix and tiers', () => {
    const c = loadConfig({ ...base, HOOKSTREAM_TOPIC_PREFIX: 'acme', HOOKSTREAM_RETRY_TIERS: '1s,2s' });
    const n = topicNames(c.topicPrefix, c.tiers);
    expect(n.deliveries).toBe('acme.deliveries');
    expect(n.deadLetter).toBe('acme.dead-letter');
    expect(n.eventsInvalid).toBe('acme.events.invalid');
    expect(n.routerGroup).toBe('acme-router');
    expect(n.senderGroup).toBe('acme-sender');
    expect(n.retry.map((r) => [r.topic, r.group])).toEqual([
      ['acme.retry.1s', 'acme-sender-1s'],
      ['acme.retry.2s', 'acme-sender-2s'],
    ]);
  });
});

describe('HOOKSTREAM_DISABLE_AFTER', () => {
  it('a bare 0 means never (as documented), a duration is milliseconds', () => {
    expect(loadConfig({ ...base, HOOKSTREAM_DISABLE_AFTER: '0' }).disableAfterMs).toBe(0);
    expect(loadConfig({ ...base, HOOKSTREAM_DISABLE_AFTER: '10s' }).disableAfterMs).toBe(10_000);
  });
});
