/** A real HTTP receiver for tests: records every request, answers as the test decides. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** When the request arrived, epoch ms. */
  readonly at: number;
}

export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';
export type Behaviour = (req: Received, nthForDelivery: number) => Reply;

export class TestReceiver {
  readonly received: Received[] = [];
  readonly #server: http.Server;
  readonly #perDelivery = new Map<string, number>();
  readonly #hanging = new Set<http.ServerResponse>();
  behaviour: Behaviour = () => ({ status: 200 });
  url = '';

  constructor(behaviour?: Behaviour) {
    if (behaviour) this.behaviour = behaviour;
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.received.push(r);
        const key = `${req.url} ${req.headers['coverbase-delivery-id'] ?? ''}`;
        const n = (this.#perDelivery.get(key) ?? 0) + 1;
        this.#perDelivery.set(key, n);
        const reply = this.behaviour(r, n);
        if (reply === 'hang') {
          this.#hanging.add(res);
          res.on('close', () => this.#hanging.delete(res));
          return;
        }
        const send = () => res.writeHead(reply.status, reply.headers).end('{}');
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests to one path (one webhook each, by convention). */
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
