/**
 * `hookstream receiver`: a small webhook receiver that verifies every delivery's signature and
 * prints one line per request. For demos and for checking a deployment end to end.
 */
import http from 'node:http';
import { HookstreamError } from '../core/errors.js';
import { verify } from '../core/signing.js';
import { parse, positiveInt } from './args.js';

const USAGE =
  'hookstream receiver --secret whsec_… [--port 9000] [--fail-first N] [--header-prefix Coverbase]';

export async function receiverCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      secret: { type: 'string', multiple: true },
      port: { type: 'string', default: '9000' },
      host: { type: 'string', default: '127.0.0.1' },
      'fail-first': { type: 'string', default: '0' },
      'header-prefix': { type: 'string', default: 'Coverbase' },
    },
    USAGE,
  );
  const secrets = (values.secret as string[] | undefined) ?? [];
  if (secrets.length === 0)
    throw new HookstreamError('VALIDATION_FAILED', `--secret is required\nusage: ${USAGE}`);
  const port = positiveInt(values.port as string, 'port')!;
  const failFirst = Number(values['fail-first']);
  const prefix = (values['header-prefix'] as string).toLowerCase();
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
      process.stdout.write(`${line}\n`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(`{"received":${status === 200}}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, values.host as string, resolve));
  process.stdout.write(
    `receiver listening on http://${values.host}:${port}/ (verifying ${secrets.length} secret(s))\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  return 0;
}
