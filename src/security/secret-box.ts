/**
 * Webhook secrets at rest: AES-256-GCM with HOOKSTREAM_SECRET_KEY. A database dump alone reveals
 * nothing. Stored form: `v1.<iv b64url>.<tag b64url>.<ciphertext b64url>`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HookstreamError } from '../core/errors.js';

const VERSION = 'v1';

export function encryptSecret(key: Buffer, plaintext: string, iv: Buffer = randomBytes(12)): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
}

export function decryptSecret(key: Buffer, stored: string): string {
  const [version, iv, tag, ct] = stored.split('.');
  if (version !== VERSION || !iv || !tag || ct === undefined) {
    throw new HookstreamError('SECRET_UNREADABLE', 'stored webhook secret has an unknown format');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new HookstreamError(
      'SECRET_UNREADABLE',
      'stored webhook secret cannot be decrypted: HOOKSTREAM_SECRET_KEY differs from the key it was written with',
      { cause: err },
    );
  }
}
