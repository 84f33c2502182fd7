import { describe, expect, it } from 'vitest';
import { isForbiddenAddress } from '../../../src/security/address.js';
import { decryptSecret, encryptSecret } from '../../../src/security/secret-box.js';

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
  ])('refuses %s', (ip) => expect(isForbiddenAddress(ip)).toBe(true));

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::6810:85e5',
    '::ffff:8.8.8.8',
  ])('allows public %s', (ip) => expect(isForbiddenAddress(ip)).toBe(false));
});

describe('secret box (AES-256-GCM)', () => {
  const key = Buffer.alloc(32, 7);

  it('round-trips and never stores the plaintext', () => {
    const secret = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0';
    const stored = encryptSecret(key, secret);
    expect(stored).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('whsec_');
    expect(decryptSecret(key, stored)).toBe(secret);
    expect(encryptSecret(key, secret)).not.toBe(stored); // fresh IV every time
  });

  it('refuses a wrong key or a tampered ciphertext with SECRET_UNREADABLE', () => {
    const stored = encryptSecret(key, 'whsec_x');
    expect(() => decryptSecret(Buffer.alloc(32, 8), stored)).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
    const parts = stored.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => decryptSecret(key, parts.join('.'))).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
    expect(() => decryptSecret(key, 'plaintext')).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
  });
});
