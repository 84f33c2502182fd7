import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAgent, type DeliveryAgent } from '../../../src/http/agent.js';
import { HttpClient, MAX_RESPONSE_BYTES } from '../../../src/http/post.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let handler: Handler = (_req, res) => res.end();
let requests: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    handler(req, res);
  });
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const agents: DeliveryAgent[] = [];
afterEach(async () => {
  requests = [];
  handler = (_req, res) => res.end();
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function client(opts: { allowPrivate?: boolean; timeoutMs?: number; maxSockets?: number } = {}) {
  const agent = createDeliveryAgent({
    allowPrivateTargets: opts.allowPrivate ?? true,
    ...(opts.maxSockets ? { maxSockets: opts.maxSockets } : {}),
  });
  agents.push(agent);
  return { agent, http: new HttpClient(agent, { timeoutMs: opts.timeoutMs ?? 2_000 }) };
}

describe('HttpClient.post', () => {
  it('POSTs the body and headers once', async () => {
    const { http: c } = client();
    const r = await c.post(
      `${base}/hook?x=1`,
      { 'x-test': 'yes', 'content-type': 'application/json' },
      '{"a":1}',
    );
    expect(r).toMatchObject({ outcome: 'success', statusCode: 200, error: null, retryAfter: null });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/hook?x=1', body: '{"a":1}' });
    expect(requests[0]!.headers).toMatchObject({ 'x-test': 'yes', 'user-agent': 'hookstream' });
  });

  it('a 200 with a 100 KiB body is a success (the status line decides)', async () => {
    handler = (_req, res) => res.end('x'.repeat(100 * 1024));
    const r = await client().http.post(base, {}, '{}');
    expect(r).toMatchObject({ outcome: 'success', statusCode: 200 });
  });

  it('a 410 with a 70 KiB body is http_410', async () => {
    handler = (_req, res) => {
      res.statusCode = 410;
      res.end('g'.repeat(70 * 1024));
    };
    expect(await client().http.post(base, {}, '{}')).toMatchObject({ outcome: 'http_410', statusCode: 410 });
  });

  it('a 200 whose body never ends is a success, cut at the deadline', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('still going');
    };
    const r = await client({ timeoutMs: 300 }).http.post(base, {}, '{}');
    expect(r).toMatchObject({ outcome: 'success', statusCode: 200 });
    expect(r.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('stops reading after the cap and drops the rest', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'y');
      const pump = () => {
        while (written < 100 * MAX_RESPONSE_BYTES) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const r = await client({ timeoutMs: 5_000 }).http.post(base, {}, '{}');
    expect(r.outcome).toBe('success');
    expect(written).toBeLessThan(100 * MAX_RESPONSE_BYTES);
  });

  it('no status line within the deadline is a timeout', async () => {
    handler = () => {};
    const r = await client({ timeoutMs: 200 }).http.post(base, {}, '{}');
    expect(r).toMatchObject({ outcome: 'timeout', statusCode: null });
  });

  it('does not follow redirects', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    };
    expect(await client().http.post(`${base}/start`, {}, '{}')).toMatchObject({
      outcome: 'http_3xx',
      statusCode: 302,
    });
    expect(requests.map((r) => r.url)).toEqual(['/start']);
  });

  it.each([
    [429, 'http_429'],
    [503, 'http_5xx'],
  ])('passes Retry-After of a %i on', async (status, outcome) => {
    handler = (_req, res) => {
      res.writeHead(status, { 'retry-after': '120' });
      res.end();
    };
    expect(await client().http.post(base, {}, '{}')).toMatchObject({
      outcome,
      statusCode: status,
      retryAfter: '120',
    });
  });

  it.each([
    [400, 'http_4xx'],
    [500, 'http_5xx'],
    [204, 'success'],
  ])('maps %i to %s', async (status, outcome) => {
    handler = (_req, res) => {
      res.statusCode = status;
      res.end();
    };
    expect((await client().http.post(base, {}, '{}')).outcome).toBe(outcome);
  });

  it('a closed port is connection_refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect((await client().http.post(`http://127.0.0.1:${port}/`, {}, '{}')).outcome).toBe(
      'connection_refused',
    );
  });

  it('refuses a literal private IP without connecting', async () => {
    const r = await client({ allowPrivate: false }).http.post(base, {}, '{}');
    expect(r).toMatchObject({ outcome: 'forbidden_target', latencyMs: 0 });
    expect(requests).toHaveLength(0);
  });

  it('refuses a name that resolves to a private address (checked in the lookup it connects with)', async () => {
    const port = (server.address() as AddressInfo).port;
    const r = await client({ allowPrivate: false }).http.post(`http://localhost:${port}/`, {}, '{}');
    expect(r.outcome).toBe('forbidden_target');
    expect(r.error).not.toContain('127.0.0.1');
    expect(requests).toHaveLength(0);
  });

  it('an invalid URL is a network failure', async () => {
    expect((await client().http.post('not a url', {}, '{}')).outcome).toBe('network');
  });

  it('an external abort ends the attempt at once', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = client({ timeoutMs: 10_000 }).http.post(base, {}, '{}', controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ outcome: 'network', statusCode: null });
  });

  it('keeps open sockets under the cap: a connection beyond it waits for one to close', async () => {
    const slow: http.ServerResponse[] = [];
    handler = (_req, res) => {
      res.setHeader('connection', 'close');
      slow.push(res);
      if (slow.length === 1) setTimeout(() => slow.shift()!.end(), 100);
    };
    const { agent, http: c } = client({ maxSockets: 1 });
    const first = c.post(base, {}, '{}');
    const second = c.post(`http://localhost:${(server.address() as AddressInfo).port}/`, {}, '{}');
    await new Promise((r) => setTimeout(r, 50));
    expect(agent.openSockets()).toBe(1);
    expect(requests).toHaveLength(1);
    expect((await first).outcome).toBe('success');
    await new Promise((r) => setTimeout(r, 50));
    slow.shift()?.end();
    expect((await second).outcome).toBe('success');
    expect(requests).toHaveLength(2);
  });
});
