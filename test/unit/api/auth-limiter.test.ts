/** Failed authentications are limited per client address: 429 with Retry-After, before any key check. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '../../../src/api/auth-limiter.js';
import { serverWithoutServices, UNIT_ADMIN_KEY } from './support.js';

const ADMIN = UNIT_ADMIN_KEY;

describe('failed-auth rate limiting in the API', () => {
  const app = serverWithoutServices({ authFailureLimit: { max: 3, windowMs: 60_000 } });
  beforeAll(() => app.ready());
  afterAll(() => app.close());

  const get = (remoteAddress: string, key: string | null) =>
    app.inject({
      method: 'GET',
      url: '/v1/event-types',
      remoteAddress,
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });

  it('answers 429 RATE_LIMITED to an address after 3 failures, even with the right key', async () => {
    expect((await get('203.0.113.7', 'wrong-key-1')).statusCode).toBe(401);
    expect((await get('203.0.113.7', null)).statusCode).toBe(401);
    expect((await get('203.0.113.7', 'wrong-key-2')).statusCode).toBe(401);
    const limited = await get('203.0.113.7', ADMIN);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('leaves other addresses and unauthenticated routes alone', async () => {
    expect((await get('198.51.100.9', ADMIN)).statusCode).toBe(200);
    const health = await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.7' });
    expect(health.statusCode).toBe(200);
  });

  it('does not count successful authentications', async () => {
    for (let i = 0; i < 5; i++) expect((await get('192.0.2.44', ADMIN)).statusCode).toBe(200);
  });
});

describe('AuthFailureLimiter', () => {
  it('opens again when the window ends, and remembers a bounded number of addresses', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter({ max: 2, windowMs: 10_000, maxTracked: 3 }, () => now);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSec('a')).toBe(0);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSec('a')).toBe(10);
    now += 9_001;
    expect(limiter.retryAfterSec('a')).toBe(1);
    now += 1_000;
    expect(limiter.retryAfterSec('a')).toBe(0);
    for (const address of ['b', 'c', 'd', 'e']) {
      limiter.recordFailure(address);
      limiter.recordFailure(address);
    }
    // 'b' was the oldest of four tracked: forgotten.
    expect(limiter.retryAfterSec('b')).toBe(0);
    expect(limiter.retryAfterSec('e')).toBe(10);
  });
});
