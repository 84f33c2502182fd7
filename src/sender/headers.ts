/**
 * The headers of one delivery POST: content type, ids, attempt number and the signature (one
 * `v1=` per valid secret), plus Standard Webhooks headers for webhooks that opted in.
 */
import type { DeliveryJob } from '../core/job.js';
import { signatureHeader, standardWebhooksHeaders } from '../core/signing.js';
import type { SendableWebhook } from './webhook-cache.js';

/**
 * `prefix` is `HOOKSTREAM_HEADER_PREFIX`; `timestampSec` the signing time, unix seconds.
 * Per-webhook custom headers, when webhooks carry them, belong here, merged before the signature
 * headers so they can never replace them.
 */
export function deliveryHeaders(
  job: DeliveryJob,
  webhook: SendableWebhook,
  prefix: string,
  timestampSec: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [`${prefix}-Event-Id`]: job.event_id,
    [`${prefix}-Event-Type`]: job.event_type,
    [`${prefix}-Delivery-Id`]: job.delivery_id,
    [`${prefix}-Delivery-Attempt`]: String(job.attempt),
    [`${prefix}-Signature`]: signatureHeader({ secrets: webhook.secrets, timestampSec, body: job.body }),
  };
  if (webhook.standardWebhooks) {
    Object.assign(
      headers,
      standardWebhooksHeaders({
        msgId: job.delivery_id,
        timestampSec,
        body: job.body,
        secrets: webhook.secrets,
      }),
    );
  }
  return headers;
}
