/**
 * `hookstream receiver`: a small webhook receiver that verifies every delivery's signature and
 * prints one line per request. For demos and for checking a deployment end to end.
 */
import http from 'node:http';
import type { HookstreamError } from '../core/errors.js';
import { verify } from '../core/signing.js';
import type { Cli } from './io.js';

export interface ReceiverOptions {
  readonly secret: readonly string[];
  readonly port: number;
  readonly host: string;
  /** Answer 503 to the first N attempts of each delivery (to watch retries). */
  readonly failFirst: number;
  readonly headerPrefix: string;
}

export async function receiverCommand(cli: Cli, opts: ReceiverOptions): Promise<number> {
  const secrets = opts.secret;
  const { port, failFirst } = opts;
  const prefix = opts.headerPrefix.toLowerCase();
  const attemptsSeen = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const h = (name: string) => req.headers[`${prefix}-${name}`] as string | undefined;
      const deliveryId = h('delivery-id') ?? '?';
      let verdict = 'signature ok';
      let status = 200;
      try {
        verify({ header: h('signature'), body, secrets, nowSec: Math.floor(Date.now() / 1000) });
      } catch (err) {
        verdict = `SIGNATURE REJECTED (${(err as HookstreamError).code})`;
        status = 401;
      }
      const seen = (attemptsSeen.get(deliveryId) ?? 0) + 1;
      attemptsSeen.set(deliveryId, seen);
      if (status === 200 && seen <= failFirst) status = 503;
      const line = [
        new Date().toISOString(),
        `${req.method} ${req.url}`,
        `→ ${status}`,
        h('event-type') ?? '?',
        `event ${h('event-id') ?? '?'}`,
        `delivery ${deliveryId}`,
        `attempt ${h('delivery-attempt') ?? '?'}`,
        verdict,
      ].join('  ');
      cli.out(`${line}\n`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(`{"received":${status === 200}}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, opts.host, resolve));
  cli.err(`receiver listening on http://${opts.host}:${port}/ (verifying ${secrets.length} secret(s))\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  return 0;
}
