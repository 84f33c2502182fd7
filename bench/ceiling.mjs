/**
 * The ceiling: the receivers driven directly — no Kafka, no MongoDB — with the same in-flight
 * window, the same ~1 KB bodies and the same signature headers as hookstream. `client` picks the
 * HTTP client:
 * - `undici` (the ceiling every ratio is taken to): a raw undici `Agent` + `request`, nothing of
 *   hookstream's own HTTP layer, so hookstream's overhead on top of undici shows in full;
 * - `node-http` and `got` (reference rows): node's keep-alive agent, and got 14 configured as
 *   hookstream used it before it moved to undici.
 * Every client reads the whole (small) response body, as a receiver's answer needs.
 *
 * IPC: {type:'run', client, runId, count, concurrency, webhooks:[{url, secret, environment}],
 *       envCount, timeoutMs} → {type:'done', sent, ok, failed, elapsedMs}
 */
import http from 'node:http';
import { Agent } from 'undici';
import { deliveryId } from '../dist/core/ids.js';
import { signatureHeader } from '../dist/core/signing.js';
import { makeEvent } from './lib/payload.mjs';

/** (url, headers, body) → Promise<boolean ok>, and close(). */
function makeClient(name, { concurrency, timeoutMs }) {
  if (name === 'undici') {
    const agent = new Agent({ connections: concurrency, keepAliveTimeout: 4_000 });
    return {
      async post(url, headers, body) {
        const u = new URL(url);
        const res = await agent.request({
          origin: u.origin,
          path: u.pathname,
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body.dump({ limit: 65_536 });
        return res.statusCode >= 200 && res.statusCode < 300;
      },
      close: () => agent.close(),
    };
  }
  if (name === 'node-http') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, scheduling: 'lifo' });
    return {
      post: (url, headers, body) =>
        new Promise((resolve, reject) => {
          const req = http.request(url, { method: 'POST', headers, agent, timeout: timeoutMs }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode >= 200 && res.statusCode < 300));
            res.on('error', reject);
          });
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.on('error', reject);
          req.end(body);
        }),
      close: async () => agent.destroy(),
    };
  }
  if (name === 'got') {
    return import('got').then(({ default: got }) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, scheduling: 'lifo' });
      const client = got.extend({
        method: 'POST',
        followRedirect: false,
        retry: { limit: 0 },
        throwHttpErrors: false,
        decompress: false,
        timeout: { request: timeoutMs },
        agent: { http: agent },
        responseType: 'buffer',
      });
      return {
        post: async (url, headers, body) => {
          const res = await client(url, { headers, body });
          return res.statusCode >= 200 && res.statusCode < 300;
        },
        close: async () => agent.destroy(),
      };
    });
  }
  throw new Error(`unknown client ${name}: undici, node-http or got`);
}

process.on('message', async (msg) => {
  if (msg.type !== 'run') return;
  const { runId, count, concurrency, webhooks, envCount, timeoutMs } = msg;
  const byEnv = new Map();
  for (const w of webhooks) {
    const list = byEnv.get(w.environment) ?? [];
    list.push(w);
    byEnv.set(w.environment, list);
  }
  const client = await makeClient(msg.client ?? 'undici', { concurrency, timeoutMs });
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
      try {
        if (await client.post(w.url, headers, body)) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await client.close();
  process.send({ type: 'done', sent: total, ok, failed, elapsedMs: Date.now() - started });
});
process.on('disconnect', () => process.exit(0));
