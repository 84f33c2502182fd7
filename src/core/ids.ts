/** Identifiers: stable delivery ids derived from (event, webhook), and prefixed random ids. */
import { createHash } from 'node:crypto';

/** RFC 4648 base32 alphabet, lowercase: ids stay case-insensitive and URL-safe. */
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `dlv_` + 26 base32 characters. */
export const DELIVERY_ID_RE = /^dlv_[a-z2-7]{26}$/;
const PREFIX_RE = /^[a-z][a-z0-9]{0,15}$/;
/** Fewer random bytes than this (128 bits) would make ids guessable. */
export const MIN_RANDOM_BYTES = 16;

/** Lowercase RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The delivery id of one event to one webhook: `dlv_` + base32 of the first 16 bytes of
 * SHA-256(`eventId` NUL `webhookId`). The same on every attempt and on replays, so senders and
 * receivers can dedupe on it.
 */
export function deliveryId(eventId: string, webhookId: string): string {
  const digest = createHash('sha256').update(eventId, 'utf8').update('\0').update(webhookId, 'utf8').digest();
  return `dlv_${base32(digest.subarray(0, 16))}`;
}

/**
 * `<prefix>_<base32 of randomBytes>`, e.g. `newId('wh', crypto.randomBytes(16))` → `wh_…` (26
 * characters after the underscore). The caller supplies at least 16 random bytes.
 */
export function newId(prefix: string, randomBytes: Uint8Array): string {
  if (!PREFIX_RE.test(prefix))
    throw new RangeError(`id prefix must be 1-16 lowercase letters or digits, got "${prefix}"`);
  if (randomBytes.byteLength < MIN_RANDOM_BYTES) {
    throw new RangeError(
      `an id needs at least ${MIN_RANDOM_BYTES} random bytes, got ${randomBytes.byteLength}`,
    );
  }
  return `${prefix}_${base32(randomBytes)}`;
}
