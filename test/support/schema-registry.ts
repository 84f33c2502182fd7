/**
 * A small Confluent schema registry test double — the routes @kafkajs/confluent-schema-registry
 * calls: GET /schemas/ids/{id}, POST /subjects/{subject}/versions, GET|PUT /config/{subject}.
 * No real registry can be installed on this machine; docker-compose and Helm use the real one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class SchemaRegistryDouble {
  readonly #schemas = new Map<number, { schema: string; schemaType: string }>();
  readonly #subjects = new Map<string, number[]>();
  readonly #server: http.Server;
  #nextId = 1;
  requests = 0;
  url = '';

  constructor() {
    this.#server = http.createServer((req, res) => {
      this.requests++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#route(req, Buffer.concat(chunks).toString('utf8'), res));
    });
  }

  /** Registers a schema directly and returns its id. */
  add(schema: object | string, subject = 'domain-events-value'): number {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    for (const [id, s] of this.#schemas) if (s.schema === text) return id;
    const id = this.#nextId++;
    this.#schemas.set(id, { schema: text, schemaType: 'AVRO' });
    this.#subjects.set(subject, [...(this.#subjects.get(subject) ?? []), id]);
    return id;
  }

  #route(req: http.IncomingMessage, body: string, res: http.ServerResponse): unknown {
    const json = (status: number, value: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
        .end(JSON.stringify(value));
    const url = req.url ?? '';
    const byId = /^\/schemas\/ids\/(\d+)/.exec(url);
    if (req.method === 'GET' && byId) {
      const s = this.#schemas.get(Number(byId[1]));
      return s ? json(200, s) : json(404, { error_code: 40403, message: 'Schema not found' });
    }
    const register = /^\/subjects\/([^/]+)\/versions$/.exec(url);
    if (req.method === 'POST' && register) {
      const { schema } = JSON.parse(body) as { schema: string };
      return json(200, { id: this.add(schema, decodeURIComponent(register[1]!)) });
    }
    if (/^\/config\//.test(url)) return json(200, { compatibilityLevel: 'BACKWARD' });
    return json(404, { error_code: 404, message: `no route ${req.method} ${url}` });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
