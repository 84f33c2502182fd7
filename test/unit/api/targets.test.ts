import { describe, expect, it } from 'vitest';
import { isHookstreamError } from '../../../src/core/errors.js';
import { checkWebhookUrl, type LookupAll, TARGET_REFUSED } from '../../../src/services/targets.js';

const strict = { allowHttp: false, allowPrivateTargets: false };
const table =
  (answers: Record<string, string[]>): LookupAll =>
  async (host) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a;
  };

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isHookstreamError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('registration-time URL check', () => {
  const lookup = table({
    'public.example': ['93.184.215.14', '2606:2800:220:1::1'],
    'mixed.example': ['93.184.215.14', '10.0.0.7'],
    'rebind.example': ['::ffff:169.254.169.254'],
    'empty.example': [],
  });

  it('accepts a name whose every address is public, normalizing the URL and dropping the fragment', async () => {
    expect(
      await checkWebhookUrl(
        'https://PUBLIC.example/a b?x=1#frag',
        strict,
        table({ 'public.example': ['1.1.1.1'] }),
      ),
    ).toBe('https://public.example/a%20b?x=1');
    expect(await checkWebhookUrl('https://public.example:8443/in', strict, lookup)).toBe(
      'https://public.example:8443/in',
    );
  });

  it('refuses a name when any one of its addresses is private, naming the address only in the log', async () => {
    const log: unknown[] = [];
    const r = await refusal(checkWebhookUrl('https://mixed.example/', strict, lookup, (d) => log.push(d)));
    expect(r).toEqual({ code: 'TARGET_FORBIDDEN', message: TARGET_REFUSED });
    expect(r.message).not.toContain('10.0.0.7');
    expect(log).toEqual([
      { host: 'mixed.example', reason: 'resolves to a refused address', address: '10.0.0.7' },
    ]);
  });

  it('refuses IPv4-mapped metadata addresses', async () => {
    expect((await refusal(checkWebhookUrl('https://rebind.example/', strict, lookup))).code).toBe(
      'TARGET_FORBIDDEN',
    );
  });

  it('gives names that do not resolve or have no addresses the same answer as private ones', async () => {
    const log: unknown[] = [];
    const r = await refusal(checkWebhookUrl('https://nowhere.example/', strict, lookup, (d) => log.push(d)));
    expect(r).toEqual({ code: 'TARGET_FORBIDDEN', message: TARGET_REFUSED });
    expect(await refusal(checkWebhookUrl('https://empty.example/', strict, lookup))).toEqual(r);
    expect(log).toEqual([{ host: 'nowhere.example', reason: 'does not resolve (ENOTFOUND)' }]);
  });

  it('checks literal addresses without resolving anything', async () => {
    const never: LookupAll = async () => {
      throw new Error('must not resolve');
    };
    expect(await checkWebhookUrl('https://93.184.215.14/', strict, never)).toBe('https://93.184.215.14/');
    expect((await refusal(checkWebhookUrl('https://[::1]:8443/', strict, never))).code).toBe(
      'TARGET_FORBIDDEN',
    );
    expect((await refusal(checkWebhookUrl('https://2130706433/', strict, never))).code).toBe(
      'TARGET_FORBIDDEN',
    );
  });

  it('allows http and private targets only when configured, and then resolves nothing', async () => {
    expect((await refusal(checkWebhookUrl('http://public.example/', strict, lookup))).message).toMatch(
      /HOOKSTREAM_ALLOW_HTTP/,
    );
    const never: LookupAll = async () => {
      throw new Error('must not resolve');
    };
    const open = { allowHttp: true, allowPrivateTargets: true };
    expect(await checkWebhookUrl('http://internal.svc:8080/x', open, never)).toBe(
      'http://internal.svc:8080/x',
    );
  });

  it('refuses credentials in the URL and non-http schemes', async () => {
    expect((await refusal(checkWebhookUrl('https://a:b@public.example/', strict, lookup))).message).toMatch(
      /credentials/,
    );
    expect((await refusal(checkWebhookUrl('file:///etc/passwd', strict, lookup))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await refusal(checkWebhookUrl('gopher://public.example/', strict, lookup))).code).toBe(
      'VALIDATION_FAILED',
    );
  });
});
