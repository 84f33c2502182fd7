/**
 * Rotating a webhook's signing secret: a new current secret, the previous ones signing on for the
 * overlap (so receivers switch at their own pace), returned in plaintext only here.
 */
import type { StoredSecret } from '../mongo/webhooks.js';
import { encryptSecret } from '../security/secret-box.js';
import { requireSecretKey, type ServiceContext } from './context.js';
import { modifyWebhook, newSecret, toWebhookView, validation, type WebhookWithSecret } from './webhooks.js';

/** Longest overlap a caller may ask for at rotation, milliseconds (7 days). */
export const MAX_OVERLAP_MS = 7 * 86_400_000;

export interface RotateOptions {
  /** How long the current secret keeps signing, milliseconds. @default config.secretOverlapMs (24 h) */
  readonly overlapMs?: number | undefined;
}

/**
 * A new current secret; the previous one keeps signing for the overlap. Secrets whose overlap has
 * passed are dropped. Returns the new plaintext secret.
 */
export async function rotateSecret(
  ctx: ServiceContext,
  environment: string,
  id: string,
  opts: RotateOptions = {},
): Promise<WebhookWithSecret> {
  const key = requireSecretKey(ctx.config);
  const overlapMs = opts.overlapMs ?? ctx.config.secretOverlapMs;
  if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_OVERLAP_MS) {
    throw validation('overlap_seconds', `must be between 0 and ${MAX_OVERLAP_MS / 1000}`);
  }
  const secret = newSecret(ctx);
  const ciphertext = encryptSecret(key, secret, id);
  const doc = await modifyWebhook(ctx, environment, id, (current, now) => {
    const expires = new Date(now.getTime() + overlapMs);
    // Every older secret stops at the end of this overlap at the latest: an overlap of 0 (a leaked
    // secret) ends them all now.
    const kept: StoredSecret[] = [];
    for (const s of current.secrets ?? []) {
      const until = s.expires_at === null || s.expires_at > expires ? expires : s.expires_at;
      if (until > now) kept.push({ ...s, expires_at: until });
    }
    return { secrets: [{ ciphertext, created_at: now, expires_at: null }, ...kept] };
  });
  ctx.logger.info({ webhook_id: id, environment, overlap_ms: overlapMs }, 'webhook secret rotated');
  return { ...toWebhookView(doc, ctx.now()), secret };
}
