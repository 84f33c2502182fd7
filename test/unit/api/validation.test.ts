import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { createWebhookBody, deliveryListQuery, updateWebhookBody } from '../../../src/api/schemas.js';
import { createValidatorCompiler, describeValidationError } from '../../../src/api/validation.js';

const compile = createValidatorCompiler();
type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const body = (schema: object) =>
  compile({ schema, httpPart: 'body', method: 'POST', url: '/' }) as unknown as Validate;
const query = (schema: object) =>
  compile({ schema, httpPart: 'querystring', method: 'GET', url: '/' }) as unknown as Validate;

function firstError(validate: Validate, data: unknown, part = 'body'): string {
  expect(validate(data)).toBe(false);
  return describeValidationError(validate.errors![0]!, part);
}

const valid = { url: 'https://receiver.example.com/', event_types: ['vendor.created'] };

describe('request validation', () => {
  const create = body(createWebhookBody);

  it('accepts a valid body and fills in defaults', () => {
    const data = { ...valid };
    expect(create(data)).toBe(true);
    expect(data).toEqual({ ...valid, enabled: true, standard_webhooks: false });
  });

  it('does not coerce body types: a number is not a string, "true" is not a boolean', () => {
    expect(firstError(create, { ...valid, url: 42 })).toBe('url: must be string');
    expect(firstError(create, { ...valid, enabled: 'true' })).toBe('enabled: must be boolean');
  });

  it('rejects unknown fields instead of dropping them, naming the field', () => {
    const data = { ...valid, owner: 'me' };
    expect(firstError(create, data)).toBe('body: unknown field "owner"');
    expect(data).toHaveProperty('owner', 'me');
  });

  it('names missing fields, array items and enum choices', () => {
    expect(firstError(create, { url: valid.url })).toBe('event_types: is required');
    const msg = firstError(create, { ...valid, event_types: ['vendor.created', 'vendor.gone'] });
    expect(msg).toMatch(/^event_types\[1\]: must be one of "\*", "vendor\.\*", /);
    expect(msg).toContain('"workflow.checkpoint"');
    expect(firstError(create, [])).toBe('body: must be object');
  });

  it('asks a PATCH to change something', () => {
    expect(firstError(body(updateWebhookBody), {})).toBe('body: must set at least 1 field(s)');
  });

  it('coerces query strings to the declared types and checks formats', () => {
    const q = query(deliveryListQuery);
    const data: Record<string, unknown> = { limit: '10', since: '2026-01-01T00:00:00Z' };
    expect(q(data)).toBe(true);
    expect(data['limit']).toBe(10);
    expect(firstError(q, { limit: 'ten' }, 'query')).toBe('limit: must be integer');
    expect(firstError(q, { since: 'yesterday' }, 'query')).toBe('since: must be an RFC 3339 date-time');
    expect(firstError(q, { status: 'lost' }, 'query')).toMatch(
      /^status: must be one of "pending", "succeeded"/,
    );
  });
});
