/**
 * Secrets are compared in constant time: signature verification (both schemes) and API-key
 * authentication go through `crypto.timingSafeEqual`, compare every candidate (no early exit on a
 * match), and take the same time whether a forged value differs in its first or its last byte.
 */
import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { signatureHeader, standardWebhooksHeaders, verify, verifyStandardWebhook } = await import(
  '../../src/core/signing.js'
);
const { authenticate } = await import('../../src/services/api-keys.js');
type ServiceContext = import('../../src/services/context.js').ServiceContext;

const compare = vi.mocked(crypto.timingSafeEqual);
const body = JSON.stringify({ event_id: 'evt_1', data: { amount: 42 } });
const now = 1_700_000_000;
const secrets = [
  `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
  `whsec_${Buffer.alloc(32, 2).toString('base64')}`,
];

/** Flips one hex digit of the v1 signature, at `index` (0 = first digit). */
function forge(header: string, index: number): string {
  const v1 = /v1=([0-9a-f]{64})/.exec(header)![1]!;
  const flipped = v1.slice(0, index) + (v1[index] === '0' ? '1' : '0') + v1.slice(index + 1);
  return header.replace(v1, flipped);
}

/** Median time of `fn`, in ns, sampled interleaved with the other candidates (same load for all). */
function medians(fns: (() => void)[], rounds = 4_000): number[] {
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    fns.forEach((fn, j) => {
      const t = process.hrtime.bigint();
      fn();
      samples[j]!.push(Number(process.hrtime.bigint() - t));
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]!);
}

const quietly = (fn: () => unknown) => () => {
  try {
    fn();
  } catch {
    // a forged signature is rejected: that is the point
  }
};

describe('constant-time comparisons', () => {
  beforeEach(() => {
    compare.mockClear();
  });

  it('Coverbase-Signature: every (secret, signature) pair is compared with timingSafeEqual, even after a match', () => {
    const header = signatureHeader({ secrets, timestampSec: now, body });
    verify({ header, body, secrets, nowSec: now });
    expect(compare).toHaveBeenCalledTimes(secrets.length * secrets.length);
    compare.mockClear();
    expect(() => verify({ header: forge(header, 0), body, secrets: secrets[0]!, nowSec: now })).toThrow();
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('Standard Webhooks signature: the same', () => {
    const headers = standardWebhooksHeaders({ msgId: 'msg_1', timestampSec: now, body, secrets });
    verifyStandardWebhook({ headers, body, secrets, nowSec: now });
    expect(compare).toHaveBeenCalledTimes(secrets.length * secrets.length);
  });

  it('API keys: compared as SHA-256 digests with timingSafeEqual, so neither length nor content leaks', async () => {
    const admin = 'admin-key-for-constant-time-0123456789';
    const ctx = {} as ServiceContext; // a non-hsk_ token never reaches the database
    expect(await authenticate(ctx, admin, admin)).toEqual({ kind: 'admin' });
    expect(compare).toHaveBeenCalledTimes(1);
    expect(await authenticate(ctx, admin, 'x')).toBeNull();
    expect(await authenticate(ctx, admin, `${admin}-and-much-longer`)).toBeNull();
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [a, b] of compare.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
  });

  it('a forged signature takes as long to reject whether it differs in its first or its last byte', () => {
    const header = signatureHeader({ secrets: [secrets[0]!], timestampSec: now, body });
    const first = forge(header, 0);
    const last = forge(header, 63);
    const [early = 0, late = 1, valid = 0] = medians([
      quietly(() => verify({ header: first, body, secrets: secrets[0]!, nowSec: now })),
      quietly(() => verify({ header: last, body, secrets: secrets[0]!, nowSec: now })),
      quietly(() => verify({ header, body, secrets: secrets[0]!, nowSec: now })),
    ]);
    process.stderr.write(
      `verify medians: first-byte forgery ${early} ns, last-byte ${late} ns, valid ${valid} ns\n`,
    );
    // An early-exit comparison would make the first-byte forgery measurably faster. The HMAC
    // dominates either way, so the tolerance is generous for a loaded machine.
    expect(early / late).toBeGreaterThan(0.75);
    expect(early / late).toBeLessThan(1.33);
  });
});
