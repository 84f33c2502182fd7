/**
 * The delivery options from the CLI (`webhooks create/update` flags), through `main()` against a
 * database of its own: the same service code and the same refusals as the API.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main.js';
import { resources, services, uniqueMongoUri } from '../../support/helpers.js';
import { envName, SECRET_KEY_HEX } from '../api/support.js';

describe('CLI: webhook delivery options', () => {
  resources('all');
  let env: Record<string, string>;
  beforeAll(() => {
    env = {
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: uniqueMongoUri('hsopt'),
      HOOKSTREAM_SECRET_KEY: SECRET_KEY_HEX,
    };
  });

  async function hs(...args: string[]) {
    let out = '';
    let err = '';
    const code = await main(args, {
      env,
      stdout: {
        write: (s: string) => {
          out += s;
        },
      },
      stderr: {
        write: (s: string) => {
          err += s;
        },
      },
    });
    return { code, out, err };
  }

  it('create takes --rate-limit, --filter and repeated --header; update changes and clears them', async () => {
    const e = envName();
    const made = await hs(
      ...['webhooks', 'create', '--env', e, '--url', 'https://93.184.215.14/hook', '--types', 'vendor.*'],
      ...['--rate-limit', '5', '--filter', '{"data.status":"suspended"}'],
      ...['--header', 'X-Tenant: acme', '--header', 'X-Route:  a:b '],
    );
    expect(made.code, made.err).toBe(0);
    const webhook = JSON.parse(made.out);
    expect(webhook).toMatchObject({
      rate_limit_per_s: 5,
      filter: { 'data.status': 'suspended' },
      headers: { 'X-Tenant': 'acme', 'X-Route': 'a:b' },
    });

    const list = await hs('webhooks', 'list', '--env', e);
    expect(list.out).toMatch(/LIMIT\/S\s+FILTER/);
    expect(list.out).toMatch(new RegExp(`${webhook.id}\\s+yes\\s+vendor\\.\\*\\s+5\\s+yes`));

    const target = ['webhooks', 'update', '--env', e, '--id', webhook.id];
    const changed = await hs(...target, '--rate-limit', 'none', '--filter', 'none', '--no-headers');
    expect(changed.code, changed.err).toBe(0);
    expect(JSON.parse(changed.out)).toMatchObject({ rate_limit_per_s: null, filter: null, headers: {} });

    const again = await hs(...target, '--header', 'X-New: 1');
    expect(JSON.parse(again.out)).toMatchObject({ headers: { 'X-New': '1' }, rate_limit_per_s: null });
  });

  it('refuses a forbidden header, a bad filter and an out-of-range limit with exit 2 naming them', async () => {
    const e = envName();
    const base = ['webhooks', 'create', '--env', e, '--url', 'https://93.184.215.14/hook', '--types', '*'];
    const host = await hs(...base, '--header', 'Host: x');
    expect(host.code).toBe(2);
    expect(host.err).toContain('headers.Host');
    const op = await hs(...base, '--filter', '{"data.a":{"$regex":"x"}}');
    expect(op.code).toBe(2);
    expect(op.err).toContain('$regex');
    const limit = await hs(...base, '--rate-limit', '10001');
    expect(limit.code).toBe(2);
    expect(limit.err).toContain('rate_limit_per_s');
    const noColon = await hs(...base, '--header', 'X-A');
    expect(noColon.code).toBe(2);
    expect(noColon.err).toContain("'Name: value'");
  });
});
