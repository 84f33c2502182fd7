/**
 * The ceiling: the receiver driven directly — no Kafka, no MongoDB — with hookstream's own HTTP
 * client (got, same agent settings), the same in-flight window, the same ~1 KB bodies and the same
 * signature headers. Whatever hookstream adds on top shows as the gap to this figure.
 *
 * IPC: {type:'run', runId, count, concurrency, webhooks:[{url, secret, environment}], envCount,
 *       timeoutMs} → {type:'done', sent, ok, failed, elapsedMs}
 */

import { deliveryId } from '../dist/core/ids.js';
import { signatureHeader } from '../dist/core/signing.js';
import { HttpClient } from '../dist/sender/http-client.js';
import { makeEvent } from './lib/payload.mjs';

process.on('message', async (msg) => {
  if (msg.type !== 'run') return;
  const { runId, count, concurrency, webhooks, envCount, timeoutMs } = msg;
  const byEnv = new Map();
  for (const w of webhooks) {
    const list = byEnv.get(w.environment) ?? [];
    list.push(w);
    byEnv.set(w.environment, list);
  }
  const http = new HttpClient({ timeoutMs, allowPrivateTargets: true });
  // Deliveries in event order: event i to each of its matching webhooks.
  const fanout = webhooks.length / envCount;
  const total = count * fanout;
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = Date.now();
  const worker = async () => {
    for (;;) {
      const n = next++;
      if (n >= total) return;
      const i = Math.floor(n / fanout);
      const ev = makeEvent(runId, i, envCount, Date.now());
      const w = byEnv.get(ev.environment)[n % fanout];
      const body = JSON.stringify(ev);
      const t = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'Coverbase-Event-Id': ev.event_id,
        'Coverbase-Event-Type': ev.event_type,
        'Coverbase-Delivery-Id': deliveryId(ev.event_id, w.id),
        'Coverbase-Delivery-Attempt': '1',
        'Coverbase-Signature': signatureHeader({ secrets: [w.secret], timestampSec: t, body }),
      };
      const r = await http.post(w.url, headers, body);
      if (r.outcome === 'success') ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  http.close();
  process.send({ type: 'done', sent: total, ok, failed, elapsedMs: Date.now() - started });
});
process.on('disconnect', () => process.exit(0));
