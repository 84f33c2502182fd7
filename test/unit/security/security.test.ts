import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isForbiddenAddress } from '../../../src/security/address.js';
import { decryptSecret, encryptSecret, upgradeSecret } from '../../../src/security/secret-box.js';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '64:ff9b::10.0.0.1',
    '[::1]',
    'fd00:ec2::254',
    'not-an-ip',
    // IPv4-compatible ::/96, IPv4-mapped and SIIT ::ffff:0:0/96, ::ffff:0:0:0/96
    '::8.8.8.8',
    '::808:808',
    '::ffff:8.8.8.8',
    '::ffff:0:8.8.8.8',
    // 6to4 2002::/16 carrying a private, loopback or metadata IPv4
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '2002:c0a8:0101:0:0:0:0:1',
    // NAT64 local-use 64:ff9b:1::/48, and the well-known prefix with a private IPv4
    '64:ff9b:1::a00:1',
    '64:ff9b:1:ffff::8.8.8.8',
    '64:ff9b::7f00:1',
    // Teredo 2001::/32 and the rest of the IETF block 2001::/23; documentation
    '2001::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:10::1',
    '2001:db8::1',
    '3fff::1',
    // site-local fec0::/10, discard-only 100::/64, other non-global space
    'fec0::1',
    'feff::1',
    '100::1',
    '100::ffff:1',
    '4000::1',
    'ff02::1',
  ])('refuses %s', (ip) => expect(isForbiddenAddress(ip)).toBe(true));

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::6810:85e5',
    '2a00:1450:4001:82b::200e',
    '2002:808:808::1',
    '64:ff9b::8.8.8.8',
    '2001:4860:4860::8888',
  ])('allows public %s', (ip) => expect(isForbiddenAddress(ip)).toBe(false));
});

describe('secret box (AES-256-GCM)', () => {
  const key = Buffer.alloc(32, 7);
  const id = 'wh_0123456789';

  /** What the previous release wrote: v1, no associated data. */
  function legacyV1(plaintext: string, tagBytes = 16): string {
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 1), { authTagLength: tagBytes });
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', Buffer.alloc(12, 1), cipher.getAuthTag(), ct]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  it('round-trips and never stores the plaintext', () => {
    const secret = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0';
    const stored = encryptSecret(key, secret, id);
    expect(stored).toMatch(/^v2\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('whsec_');
    expect(decryptSecret(key, stored, id)).toBe(secret);
    expect(encryptSecret(key, secret, id)).not.toBe(stored); // fresh IV every time
  });

  it('binds a ciphertext to its webhook: another webhook id does not decrypt it', () => {
    const stored = encryptSecret(key, 'whsec_x', id);
    expect(() => decryptSecret(key, stored, 'wh_other')).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
  });

  it('refuses a truncated (4-byte) tag, also in the legacy format', () => {
    const stored = encryptSecret(key, 'whsec_x', id).split('.');
    const tag = Buffer.from(stored[2]!, 'base64url');
    stored[2] = tag.subarray(0, 4).toString('base64url');
    expect(() => decryptSecret(key, stored.join('.'), id)).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
    expect(() => decryptSecret(key, legacyV1('whsec_x', 4), id)).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
  });

  it('reads the legacy v1 form and upgrades it to v2', () => {
    const v1 = legacyV1('whsec_legacy');
    expect(decryptSecret(key, v1, id)).toBe('whsec_legacy');
    const v2 = upgradeSecret(key, v1, id)!;
    expect(v2).toMatch(/^v2\./);
    expect(decryptSecret(key, v2, id)).toBe('whsec_legacy');
    expect(upgradeSecret(key, v2, id)).toBeNull();
  });

  it('refuses a wrong key or a tampered ciphertext with SECRET_UNREADABLE', () => {
    const stored = encryptSecret(key, 'whsec_x', id);
    expect(() => decryptSecret(Buffer.alloc(32, 8), stored, id)).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
    const parts = stored.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => decryptSecret(key, parts.join('.'), id)).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
    expect(() => decryptSecret(key, 'plaintext', id)).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
  });
});
