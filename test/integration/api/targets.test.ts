import { beforeAll, describe, expect, it } from 'vitest';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { systemLookup } from '../../../src/services/targets.js';
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
    ['https://localhost/hook', 'resolves to'],
    ['https://localhost:8443/hook', 'resolves to'],
    ['https://LOCALHOST./hook', 'resolves to'],
    ['https://vm/hook', 'resolves to'], // /etc/hosts: 127.0.0.1
    ['https://127.0.0.1/hook', '127.0.0.1'],
    ['https://127.1/hook', '127.0.0.1'],
    ['https://0x7f000001/hook', '127.0.0.1'],
    ['https://[::1]/hook', '::1'],
    ['https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1'],
    ['https://10.1.2.3/hook', '10.1.2.3'],
    ['https://172.16.0.1/hook', '172.16.0.1'],
    ['https://192.168.1.1/hook', '192.168.1.1'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['https://100.64.0.1/hook', '100.64.0.1'],
    ['https://[fe80::1]/hook', 'fe80::1'],
    ['https://[fd00:ec2::254]/hook', 'fd00:ec2::254'],
    ['https://0.0.0.0/hook', '0.0.0.0'],
  ])('refuses %s with 422 TARGET_FORBIDDEN', async (url, mention) => {
    const env = envName();
    const res = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput({ url }) });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TARGET_FORBIDDEN');
    expect(res.json.error.message).toContain(mention);
    expect(res.json.error.message).toMatch(/^url: /);
    expect(await webhooksCollection(api.db).countDocuments({ environment: env })).toBe(0);
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
    ['https://no-such-host.invalid/hook', /does not resolve/],
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
