/**
 * Webhook secrets at rest: AES-256-GCM with HOOKSTREAM_SECRET_KEY, a 12-byte random IV, a full
 * 16-byte tag, and the webhook id as associated data, so a ciphertext copied onto another webhook
 * does not decrypt. A database dump alone reveals nothing.
 *
 * Stored form: `v2.<iv b64url>.<tag b64url>.<ciphertext b64url>`. The earlier `v1` form (no
 * associated data) is still read, and `upgradeSecret` rewrites it as `v2`; the service layer does
 * so whenever it loads a webhook (migration on read).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HookstreamError } from '../core/errors.js';

const CURRENT = 'v2';
/** Written before associated data existed; read only. */
const LEGACY = 'v1';
/** GCM tag length, bytes: the full 128 bits (a shorter tag is refused, not truncated-checked). */
const TAG_BYTES = 16;
const IV_BYTES = 12;

const aad = (webhookId: string) => Buffer.from(webhookId, 'utf8');

function unreadable(message: string, cause?: unknown): HookstreamError {
  return new HookstreamError('SECRET_UNREADABLE', message, cause === undefined ? {} : { cause });
}

export function encryptSecret(
  key: Buffer,
  plaintext: string,
  webhookId: string,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(webhookId));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [CURRENT, iv, cipher.getAuthTag(), ct]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function decryptSecret(key: Buffer, stored: string, webhookId: string): string {
  const [version, ivText, tagText, ctText, extra] = stored.split('.');
  if (
    (version !== CURRENT && version !== LEGACY) ||
    !ivText ||
    !tagText ||
    ctText === undefined ||
    extra !== undefined
  ) {
    throw unreadable('stored webhook secret has an unknown format');
  }
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw unreadable(
      `stored webhook secret has a ${iv.length}-byte IV and a ${tag.length}-byte tag; 12 and 16 are required`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (version === CURRENT) decipher.setAAD(aad(webhookId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch (err) {
    throw unreadable(
      'stored webhook secret cannot be decrypted: HOOKSTREAM_SECRET_KEY differs from the key it was written with, or it belongs to another webhook',
      err,
    );
  }
}

/** The `v2` form of a stored secret written in an earlier form, or null when it is current. */
export function upgradeSecret(key: Buffer, stored: string, webhookId: string): string | null {
  if (stored.startsWith(`${CURRENT}.`)) return null;
  return encryptSecret(key, decryptSecret(key, stored, webhookId), webhookId);
}
