/**
 * `/metrics`, `/healthz` (process alive) and `/readyz` (every readiness check passes) on
 * HOOKSTREAM_METRICS_PORT, for every role. Started first and closed last, so probes answer during
 * start-up and shutdown.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import { registry } from './metrics.js';

export type ReadinessCheck = () => boolean | Promise<boolean>;

export class OpsServer {
  readonly name = 'ops-server';
  readonly #checks = new Map<string, ReadinessCheck>();
  readonly #server: http.Server;
  #closing = false;

  constructor(private readonly logger: Logger) {
    this.#server = http.createServer((req, res) => {
      void this.#handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'ops server request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Adds a named readiness check (e.g. `kafka`, `mongodb`). */
  check(name: string, fn: ReadinessCheck): void {
    this.#checks.set(name, fn);
  }

  async readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, fn] of this.#checks) {
      try {
        checks[name] = await fn();
      } catch {
        checks[name] = false;
      }
    }
    const ready = !this.#closing && this.#checks.size > 0 && Object.values(checks).every(Boolean);
    return { ready, checks };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/metrics') {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const r = await this.readiness();
      res
        .writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks: r.checks }));
    } else {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"NOT_FOUND","message":"no such route"}}');
    }
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const actual = (this.#server.address() as AddressInfo).port;
    this.logger.info({ port: actual }, 'metrics and health endpoints listening');
    return actual;
  }

  /** Marks not-ready (so load balancers stop sending) without closing yet. */
  draining(): void {
    this.#closing = true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
  }
}
