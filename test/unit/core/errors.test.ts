import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HookstreamError, isHookstreamError } from '../../../src/core/errors.js';

describe('ERROR_CODES', () => {
  it('holds every code the contract relies on', () => {
    for (const code of [
      'INVALID_ENVELOPE',
      'UNDECODABLE_EVENT',
      'UNKNOWN_SCHEMA',
      'INVALID_JOB',
      'INVALID_CONFIG',
      'INVALID_TIER',
      'VALIDATION_FAILED',
      'NOT_FOUND',
      'CONFLICT',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'PAYLOAD_TOO_LARGE',
      'STORE_UNAVAILABLE',
      'TARGET_FORBIDDEN',
      'SIGNATURE_INVALID',
      'TIMESTAMP_OUT_OF_TOLERANCE',
    ]) {
      expect(ERROR_CODES).toHaveProperty(code);
    }
  });

  it.each([
    ['VALIDATION_FAILED', 422],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['UNAUTHORIZED', 401],
    ['FORBIDDEN', 403],
    ['PAYLOAD_TOO_LARGE', 413],
    ['STORE_UNAVAILABLE', 503],
    ['BAD_REQUEST', 400],
    ['LIMIT_EXCEEDED', 422],
    ['JOB_TOO_LARGE', 413],
  ] as const)('%s answers HTTP %i', (code, status) => {
    expect(new HookstreamError(code, 'x').httpStatus).toBe(status);
  });

  it('marks only STORE_UNAVAILABLE and RATE_LIMITED retriable by default', () => {
    const retriable = Object.entries(ERROR_CODES)
      .filter(([, spec]) => spec.retriable)
      .map(([code]) => code);
    expect(retriable.sort()).toEqual(['RATE_LIMITED', 'STORE_UNAVAILABLE']);
  });
});

describe('HookstreamError', () => {
  it('carries code, message, default retriable, details and cause', () => {
    const cause = new Error('socket closed');
    const err = new HookstreamError('STORE_UNAVAILABLE', 'MongoDB is unreachable', {
      cause,
      details: { op: 'find' },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('HookstreamError');
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.message).toBe('MongoDB is unreachable');
    expect(err.retriable).toBe(true);
    expect(err.details).toEqual({ op: 'find' });
    expect(err.cause).toBe(cause);
  });

  it('lets the caller override retriable', () => {
    expect(new HookstreamError('STORE_UNAVAILABLE', 'x', { retriable: false }).retriable).toBe(false);
    expect(new HookstreamError('NOT_FOUND', 'x', { retriable: true }).retriable).toBe(true);
  });

  it('has no cause or details unless given', () => {
    const err = new HookstreamError('NOT_FOUND', 'webhook wh_1 not found');
    expect('cause' in err).toBe(false);
    expect(err.details).toBeUndefined();
    expect(err.retriable).toBe(false);
  });
});

describe('isHookstreamError', () => {
  const err = new HookstreamError('CONFLICT', 'exists');

  it.each([
    [err, undefined, true],
    [err, 'CONFLICT', true],
    [err, 'NOT_FOUND', false],
    [new Error('plain'), undefined, false],
    [{ code: 'CONFLICT', message: 'look-alike' }, 'CONFLICT', false],
    [null, undefined, false],
  ] as const)('case %#', (value, code, expected) => {
    expect(isHookstreamError(value, code)).toBe(expected);
  });
});
