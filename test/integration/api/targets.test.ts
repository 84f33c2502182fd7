import { beforeAll, describe, expect, it } from 'vitest';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { createLogger } from '../../../src/observability/logger.js';
import { systemLookup, TARGET_REFUSED } from '../../../src/services/targets.js';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, type TestApi, webhookInput } from './support.js';

describe('admin API: webhook URL checks (SSRF) at registration', () => {
  const r = resources('all');
  let api: TestApi;
  let permissive: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r, { consume: false });
    permissive = await startTestApi(r, {
      consume: false,
      env: { HOOKSTREAM_ALLOW_HTTP: 'true', HOOKSTREAM_ALLOW_PRIVATE_TARGETS: 'true' },
    });
  });

  it('resolves localhost to a loopback address on this machine (the premise of the next test)', async () => {
    const addresses = await systemLookup('localhost');
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
  });

  it.each([
    ['https://localhost/hook'],
    ['https://localhost:8443/hook'],
    ['https://LOCALHOST./hook'],
    ['https://vm/hook'],
    ['https://127.0.0.1/hook'],
    ['https://127.1/hook'],
    ['https://0x7f000001/hook'],
    ['https://[::1]/hook'],
    ['https://[::ffff:127.0.0.1]/hook'],
    ['https://10.1.2.3/hook'],
    ['https://172.16.0.1/hook'],
    ['https://192.168.1.1/hook'],
    ['https://169.254.169.254/latest/meta-data'],
    ['https://100.64.0.1/hook'],
    ['https://[fe80::1]/hook'],
    ['https://[fd00:ec2::254]/hook'],
    ['https://0.0.0.0/hook'],
    ['https://[::8.8.8.8]/hook'],
    ['https://[2002:7f00:1::1]/hook'],
    ['https://[64:ff9b:1::a00:1]/hook'],
    ['https://[2001::1]/hook'],
    ['https://[fec0::1]/hook'],
    ['https://[100::1]/hook'],
    ['https://no-such-host.invalid/hook'],
  ])('refuses %s with 422 TARGET_FORBIDDEN and one generic message', async (url) => {
    const env = envName();
    const res = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput({ url }) });
    expect(res.status).toBe(422);
    expect(res.json.error).toEqual({ code: 'TARGET_FORBIDDEN', message: TARGET_REFUSED });
    expect(await webhooksCollection(api.db).countDocuments({ environment: env })).toBe(0);
  });

  it('keeps the reason (resolved address, DNS error) in the server log only', async () => {
    const lines: string[] = [];
    const logged = await startTestApi(r, {
      consume: false,
      logger: createLogger({ level: 'info', name: 'targets' }, { write: (l: string) => lines.push(l) }),
    });
    const env = envName();
    for (const url of ['https://localhost/hook', 'https://no-such-host.invalid/hook']) {
      const res = await logged.call('POST', `/v1/environments/${env}/webhooks`, {
        body: webhookInput({ url }),
      });
      expect(res.text).not.toMatch(/127\.0\.0\.1|::1|localhost|ENOTFOUND|does not resolve/);
    }
    const refusals = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'webhook target refused');
    expect(refusals).toEqual([
      expect.objectContaining({
        environment: env,
        host: 'localhost',
        address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
      }),
      expect.objectContaining({
        environment: env,
        host: 'no-such-host.invalid',
        reason: expect.stringMatching(/does not resolve/),
      }),
    ]);
  });

  it('refuses a private target on update too, leaving the webhook unchanged', async () => {
    const env = envName();
    const { json: created } = await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: webhookInput(),
    });
    const path = `/v1/environments/${env}/webhooks/${created.id}`;
    const res = await api.call('PATCH', path, { body: { url: 'https://localhost/steal' } });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TARGET_FORBIDDEN');
    expect((await api.call('GET', path)).json.url).toBe('https://receiver.example.com/hooks');
  });

  it.each([
    ['http://receiver.example.com/hook', /must use https/],
    ['ftp://receiver.example.com/hook', /https/],
    ['not a url', /absolute/],
    ['/relative/path', /absolute/],
    ['https://user:pw@receiver.example.com/hook', /credentials/],
  ])('refuses %s with 422 VALIDATION_FAILED', async (url, message) => {
    const res = await api.call('POST', `/v1/environments/${envName()}/webhooks`, {
      body: webhookInput({ url }),
    });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(res.json.error.message).toMatch(message);
  });

  it('accepts public literal addresses and names that resolve to public addresses', async () => {
    for (const url of [
      'https://93.184.215.14/hook',
      'https://[2606:4700::6810:84e5]/x',
      'https://other.example.net/x',
    ]) {
      const res = await api.call('POST', `/v1/environments/${envName()}/webhooks`, {
        body: webhookInput({ url }),
      });
      expect(res.status, url).toBe(201);
      expect(res.json.url).toBe(url);
    }
  });

  it('with HOOKSTREAM_ALLOW_HTTP and HOOKSTREAM_ALLOW_PRIVATE_TARGETS, accepts http and private targets', async () => {
    for (const url of ['http://localhost:9000/hook', 'https://127.0.0.1/hook', 'http://10.0.0.5/x']) {
      const res = await permissive.call('POST', `/v1/environments/${envName()}/webhooks`, {
        body: webhookInput({ url }),
      });
      expect(res.status, url).toBe(201);
    }
  });
});
