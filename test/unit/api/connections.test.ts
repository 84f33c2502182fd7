/**
 * The admin API's HTTP limits over real sockets (no database): slow headers, slow bodies and idle
 * keep-alive connections are closed, open connections are capped, a 401 closes its connection,
 * and X-Request-Id is honoured when well-formed.
 */

import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from '../../../src/api/server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { waitFor } from '../../support/helpers.js';
import { serverWithoutServices } from './support.js';

function server(limits: Partial<ServerLimits> = {}, logLines?: string[]): FastifyInstance {
  return serverWithoutServices({
    limits,
    ...(logLines
      ? { logger: createLogger({ level: 'info' }, { write: (l: string) => logLines.push(l) }) }
      : {}),
  });
}

/** A raw connection that records what it receives and whether the server closed it. */
function open(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  const state = { data: '', closed: false, socket };
  socket.on('data', (c: Buffer) => {
    state.data += c.toString('latin1');
  });
  socket.on('close', () => {
    state.closed = true;
  });
  socket.on('error', () => {});
  return state;
}

describe('admin API connection limits', () => {
  const app = server({
    headersTimeoutMs: 400,
    requestTimeoutMs: 800,
    keepAliveTimeoutMs: 300,
    idleTimeoutMs: 5_000,
    maxConnections: 4,
    timeoutCheckMs: 100,
  });
  let port = 0;
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  it('uses a 30 s request timeout, header and keep-alive timeouts and a connection cap by default', async () => {
    const plain = server();
    expect(plain.server.requestTimeout).toBe(30_000);
    expect(plain.server.headersTimeout).toBe(DEFAULT_SERVER_LIMITS.headersTimeoutMs);
    expect(plain.server.keepAliveTimeout).toBe(DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs);
    expect(plain.server.maxConnections).toBe(DEFAULT_SERVER_LIMITS.maxConnections);
    expect(DEFAULT_SERVER_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(
      DEFAULT_SERVER_LIMITS.requestTimeoutMs,
    );
    await plain.close();
  });

  it('closes a connection whose headers trickle in (slowloris)', async () => {
    const c = open(port);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => c.socket.writable && c.socket.write('X-Drip: 1\r\n'), 100);
    try {
      await waitFor(() => c.closed, { timeout: 5_000, message: 'slow-header connection closed' });
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection whose body never completes', async () => {
    const c = open(port);
    c.socket.write(
      'POST /v1/api-keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"env',
    );
    await waitFor(() => c.closed, { timeout: 5_000, message: 'slow-body connection closed' });
  });

  it('closes an idle keep-alive connection', async () => {
    const c = open(port);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await waitFor(() => c.data.includes('{"status":"ok"}'), { timeout: 5_000 });
    expect(c.data).toMatch(/keep-alive/i);
    await waitFor(() => c.closed, { timeout: 5_000, message: 'idle keep-alive connection closed' });
  });

  it('answers 401 with Connection: close and closes the connection', async () => {
    const c = open(port);
    c.socket.write(
      'GET /v1/event-types HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nAuthorization: Bearer nope\r\n\r\n',
    );
    await waitFor(() => c.closed, { timeout: 2_000, message: 'connection closed after 401' });
    expect(c.data).toMatch(/^HTTP\/1\.1 401/);
    expect(c.data).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('refuses connections beyond the cap', async () => {
    const held = Array.from({ length: 4 }, () => open(port));
    for (const h of held) h.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const extra = open(port);
    await waitFor(() => extra.closed, { timeout: 2_000, message: 'connection over the cap refused' });
    expect(extra.data).toBe('');
    for (const h of held) h.socket.destroy();
  });
});

describe('X-Request-Id', () => {
  const lines: string[] = [];
  const app = server({}, lines);
  beforeAll(() => app.ready());
  afterAll(() => app.close());

  it('echoes a well-formed incoming id and logs the request under it', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/event-types',
      headers: { 'x-request-id': 'req-abc.123' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-request-id']).toBe('req-abc.123');
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.request_id === 'req-abc.123');
    expect(logged.length).toBeGreaterThan(0);
  });

  it.each([
    ['with a space', 'a b'],
    ['too long', 'x'.repeat(129)],
    ['with a control character', 'a\u0001b'],
  ])('replaces an id %s with a fresh one', async (_name, id) => {
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes one when none is sent', async () => {
    const a = await app.inject({ method: 'GET', url: '/healthz' });
    const b = await app.inject({ method: 'GET', url: '/healthz' });
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});
