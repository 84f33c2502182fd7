import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, consoleAssetRoutes, consoleDir } from '../../../src/console/assets.js';

describe('console static files', () => {
  const app = Fastify();
  const dir = consoleDir();
  if (dir === null) throw new Error('console/ not found');
  consoleAssetRoutes(app, dir);
  afterAll(() => app.close());

  it('serves the page at /console with a CSP that allows nothing inline or from elsewhere, and no framing', async () => {
    const res = await app.inject({ method: 'GET', url: '/console' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain('<script type="module" src="/console/js/app.js"></script>');
    expect(res.body).not.toMatch(/https?:\/\//);
  });

  it('serves the modules and the stylesheet with their types, none of them loading anything from another origin', async () => {
    for (const [url, type] of [
      ['/console/js/app.js', 'text/javascript; charset=utf-8'],
      ['/console/js/views/webhook.js', 'text/javascript; charset=utf-8'],
      ['/console/console.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.body).not.toMatch(/\bimport\s*\(?\s*['"]https?:|@import|url\(\s*['"]?https?:/);
    }
  });

  it('answers 404 in the API error shape for anything else, including paths that climb out', async () => {
    for (const url of [
      '/console/nope.js',
      '/console/..%2Fpackage.json',
      '/console/../package.json',
      '/console/js',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('"name": "hookstream"');
    }
    const res = await app.inject({ method: 'GET', url: '/console/nope.js' });
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no console file nope.js' } });
  });

  it('answers 404 saying the files are missing (and logs it) when console/ is not installed, instead of failing the API', async () => {
    const lonely = Fastify();
    const logged: string[] = [];
    consoleAssetRoutes(lonely, null, { error: (msg: string) => void logged.push(msg) } as never);
    const res = await lonely.inject({ method: 'GET', url: '/console' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toMatch(/console\/ is missing/);
    expect(logged).toHaveLength(1);
    await lonely.close();
  });
});
