/**
 * The OpenAPI document: valid under an independent validator, complete (every route has responses,
 * every API error code is listed), identical to the committed schemas/openapi.json, and browsable
 * offline at /docs.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS } from '../../../src/api/error-responses.js';
import { openApiDocument } from '../../../src/api/openapi-document.js';
import { serverWithoutServices } from './support.js';

/** The configuration `npm run openapi` uses: the document does not depend on it. */
const NO_KEYS = {
  adminApiKey: null,
  secretKey: null,
  allowHttp: false,
  allowPrivateTargets: false,
  secretOverlapMs: 86_400_000,
};

const committedFile = new URL('../../../schemas/openapi.json', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: the document is inspected field by field
type Doc = any;

describe('OpenAPI document', () => {
  const app = serverWithoutServices({ config: { ...NO_KEYS } });
  let served: Doc;
  beforeAll(async () => {
    await app.ready();
    served = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(() => app.close());

  it('is valid OpenAPI 3.1 under @seriousme/openapi-schema-validator', async () => {
    const result = await new Validator().validate(served);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(served.openapi).toBe('3.1.0');
  });

  it('gives every operation at least one response with a description', () => {
    const operations = Object.entries(served.paths as Record<string, Record<string, Doc>>).flatMap(
      ([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(19);
    for (const { path, method, op } of operations) {
      const responses = Object.entries(op.responses ?? {});
      expect(responses.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [, r] of responses) expect((r as Doc).description, `${method} ${path}`).toBeTruthy();
    }
    expect(served.paths['/metrics'].get.responses['200'].content).toHaveProperty(['text/plain']);
    expect(served.paths['/openapi.json'].get.responses['200']).toBeDefined();
  });

  it('lists every error code the API answers, under its status', () => {
    const listed = new Map<string, string>();
    for (const item of Object.values(served.paths as Record<string, Record<string, Doc>>)) {
      for (const op of Object.values(item)) {
        for (const [status, r] of Object.entries(op.responses as Record<string, Doc>)) {
          const codes: string[] =
            r.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? [];
          for (const code of codes) listed.set(code, status);
        }
      }
    }
    for (const [code, status] of Object.entries(API_ERROR_STATUS)) {
      expect(listed.get(code), code).toBe(String(status));
    }
    expect(listed.get('RATE_LIMITED')).toBe('429');
    expect(listed.has('SIGNATURE_INVALID')).toBe(false);
  });

  it('marks routes without a key as such, and optional bodies as not required', () => {
    expect(served.paths['/healthz'].get.security).toEqual([]);
    expect(served.paths['/v1/api-keys'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(served.paths['/v1/environments/{env}/webhooks/{id}/rotate-secret'].post.requestBody.required).toBe(
      false,
    );
    expect(served.paths['/v1/environments/{env}/webhooks'].post.requestBody.required).toBe(true);
  });

  it('is committed as schemas/openapi.json (regenerate with `npm run openapi`)', async () => {
    const committed = JSON.parse(readFileSync(committedFile, 'utf8'));
    expect(served).toEqual(committed);
    expect(await openApiDocument()).toEqual(committed);
  });

  it('serves an offline reference page at /docs without a key', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    const html =
      page.statusCode === 302
        ? (await app.inject({ method: 'GET', url: `/docs/${page.headers.location}`.replace('/docs//', '/') }))
            .body
        : page.body;
    expect([200, 302]).toContain(page.statusCode);
    expect(html).toContain('swagger-ui');
    // Every script and stylesheet is local: no CDN.
    expect(html).not.toMatch(/(src|href)=["']https?:/);
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    const init = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain('validatorUrl: null');
    const json = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.statusCode).toBe(200);
    expect(json.json().paths).toEqual(served.paths);
  });
});
