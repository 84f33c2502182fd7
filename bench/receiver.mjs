/**
 * The benchmark's webhook receiver, run as a child process (IPC with bench/run.mjs).
 *
 * One HTTP server per webhook (one origin each, as real receivers are), all on 127.0.0.1. Every
 * request's signature is verified with hookstream's own `verify`; each request is recorded with its
 * receive time and the end-to-end latency from the event's `created_at`. Behaviour per phase:
 * extra latency, a failure rate (HTTP 500), and a set of webhooks that never answer (the sender's
 * timeout ends those requests).
 *
 * Messages from the parent:
 *   {type:'listen', secrets:[…]}                       → {type:'listening', ports:[…]}
 *   {type:'phase', name, latencyMs, failureRate, hang:[webhook index…]} → {type:'phase-ok'}
 *   {type:'stats'}                                      → {type:'stats', …counters}
 *   {type:'report', bucketMs}                           → {type:'report', …latency, rates, series}
 */
import http from 'node:http';
import { verify } from '../dist/core/signing.js';
import { buckets, percentiles, sustainedRate } from './lib/stats.mjs';

const SIG = 'coverbase-signature';
const ATTEMPT = 'coverbase-delivery-attempt';
const DELIVERY = 'coverbase-delivery-id';
const CREATED_RE = /"created_at":"([^"]+)"/;

let secrets = [];
const servers = [];
const hanging = new Set();
let phase = newPhase('idle', {});
let connections = 0;

function newPhase(name, { latencyMs = 0, failureRate = 0, hang = [] }) {
  return {
    name,
    latencyMs,
    failureRate,
    hang: new Set(hang),
    requests: 0,
    firstAttempts: 0,
    badSignatures: 0,
    failedOnPurpose: 0,
    hangingRequests: 0,
    connections: 0,
    maxActive: [],
    maxActiveTotal: 0,
    unique: new Set(),
    // Accepted first attempts to webhooks that answer: receive time and end-to-end latency.
    okTimes: [],
    okLatency: [],
    firstAt: null,
    lastAt: null,
  };
}

const active = [];

function handle(index, req, res) {
  const p0 = phase;
  active[index] = (active[index] ?? 0) + 1;
  p0.maxActive[index] = Math.max(p0.maxActive[index] ?? 0, active[index]);
  p0.maxActiveTotal = Math.max(
    p0.maxActiveTotal,
    active.reduce((a, b) => a + (b ?? 0), 0),
  );
  res.on('close', () => active[index]--);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    const p = phase;
    const body = Buffer.concat(chunks);
    p.requests++;
    p.firstAt ??= at;
    p.lastAt = at;
    try {
      verify({ header: req.headers[SIG], body, secrets: secrets[index], nowSec: Math.floor(at / 1000) });
    } catch {
      p.badSignatures++;
      return void res.writeHead(401).end();
    }
    if (p.hang.has(index)) {
      p.hangingRequests++;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    const reply = () => {
      if (p.failureRate > 0 && Math.random() < p.failureRate) {
        p.failedOnPurpose++;
        return void res.writeHead(500).end();
      }
      const first = req.headers[ATTEMPT] === undefined || req.headers[ATTEMPT] === '1';
      const id = req.headers[DELIVERY];
      if (first) {
        p.firstAttempts++;
        if (!p.unique.has(id)) {
          p.unique.add(id);
          const m = CREATED_RE.exec(body.toString('latin1', 0, 300));
          p.okTimes.push(at);
          p.okLatency.push(m ? at - Date.parse(m[1]) : Number.NaN);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    if (p.latencyMs > 0) setTimeout(reply, p.latencyMs);
    else reply();
  });
}

async function listen(list) {
  secrets = list;
  const ports = [];
  for (let i = 0; i < list.length; i++) {
    const server = http.createServer((req, res) => handle(i, req, res));
    server.on('connection', () => {
      connections++;
      phase.connections++;
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push(server.address().port);
  }
  return ports;
}

function counters(p) {
  return {
    name: p.name,
    requests: p.requests,
    firstAttempts: p.firstAttempts,
    unique: p.unique.size,
    badSignatures: p.badSignatures,
    failedOnPurpose: p.failedOnPurpose,
    hangingRequests: p.hangingRequests,
    hangingOpen: hanging.size,
    connections: p.connections,
    connectionsTotal: connections,
    maxConcurrentPerWebhook: p.maxActive.length ? Math.max(...p.maxActive.filter((v) => v !== undefined)) : 0,
    maxConcurrent: p.maxActiveTotal,
    firstAt: p.firstAt,
    lastAt: p.lastAt,
  };
}

function report(p, bucketMs) {
  const lat = p.okLatency.filter((v) => Number.isFinite(v));
  const origin = p.okTimes.length ? p.okTimes[0] : 0;
  return {
    ...counters(p),
    latency: percentiles(lat),
    sustainedPerS: sustainedRate(p.okTimes),
    series: buckets(p.okTimes, p.okLatency, bucketMs, origin),
  };
}

process.on('message', async (msg) => {
  switch (msg.type) {
    case 'listen':
      process.send({ type: 'listening', ports: await listen(msg.secrets) });
      break;
    case 'phase':
      for (const res of hanging) res.destroy();
      hanging.clear();
      phase = newPhase(msg.name, msg);
      process.send({ type: 'phase-ok' });
      break;
    case 'stats':
      process.send({ type: 'stats', ...counters(phase) });
      break;
    case 'report':
      process.send({ type: 'report', ...report(phase, msg.bucketMs ?? 1000) });
      break;
    case 'close':
      for (const res of hanging) res.destroy();
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
