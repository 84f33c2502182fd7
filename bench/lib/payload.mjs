/**
 * What the benchmark sends: ~1 KB domain events spread over W webhooks with a configurable fan-out.
 *
 * Webhook j lives in environment `bench-<j mod E>` with E = W / fan-out, so every event (which goes
 * to environment `bench-<i mod E>`) matches exactly `fanout` webhooks.
 */
import { randomBytes } from 'node:crypto';

export const EVENT_TYPES = ['vendor.created', 'vendor.status_changed', 'assessment.completed'];
/** Target size of the serialised envelope (the POSTed body), bytes. */
export const BODY_BYTES = 1024;

export function environments(webhooks, fanout) {
  return Math.max(1, Math.floor(webhooks / fanout));
}

export function environmentOf(i, envCount) {
  return `bench-${i % envCount}`;
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit '.repeat(40);

/**
 * The i-th event of a run. Fields are in the order `serializeEnvelope` writes them, so the JSON
 * produced here is byte-for-byte the body receivers get.
 */
export function makeEvent(runId, i, envCount, createdAtMs) {
  const ev = {
    event_id: `evt_${runId}_${i}`,
    event_type: EVENT_TYPES[i % EVENT_TYPES.length],
    environment: environmentOf(i, envCount),
    created_at: new Date(createdAtMs).toISOString(),
    data: {
      vendor_id: `ven_${(i * 7919) % 100_000}`,
      name: 'Acme Industrial Supplies',
      status: 'active',
      risk_tier: i % 3 === 0 ? 'high' : 'medium',
      notes: '',
    },
  };
  const base = Buffer.byteLength(JSON.stringify(ev));
  ev.data.notes = FILLER.slice(0, Math.max(0, BODY_BYTES - base));
  return ev;
}

export function runId() {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Webhook secrets in the `whsec_<base64>` form hookstream issues. */
export function newSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
