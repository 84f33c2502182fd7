import { describe, expect, it } from 'vitest';
import { isHookstreamError } from '../../../src/core/errors.js';
import { decodeCursor, encodeCursor, pageLimit, toPage } from '../../../src/services/pagination.js';

describe('cursor pagination', () => {
  it('round-trips a position through an opaque, URL-safe cursor', () => {
    const p = { at: new Date('2026-03-04T05:06:07.890Z'), id: 'wh_abc' };
    const cursor = encodeCursor(p);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(p);
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor('')).toBeNull();
  });

  const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    'garbage',
    'eyJ4IjoxfQ',
    forged({ t: 'x', i: 'a' }),
    '%%%',
    forged({ t: 9007199254740991, i: 'wh_a' }),
    forged({ t: 8_640_000_000_000_001, i: 'wh_a' }),
    forged({ t: -1, i: 'wh_a' }),
    forged({ t: 1.5, i: 'wh_a' }),
    forged({ t: 1, i: '' }),
    forged({ t: 1, i: { $gt: '' } }),
    forged({ t: 1, i: 'wh_a\u0000' }),
  ])('rejects the cursor %s as BAD_REQUEST naming cursor', (cursor) => {
    let err: unknown;
    try {
      decodeCursor(cursor);
    } catch (e) {
      err = e;
    }
    expect(isHookstreamError(err, 'BAD_REQUEST')).toBe(true);
    expect((err as Error).message).toMatch(/^cursor: /);
  });

  it('defaults the limit to 50 and caps it at 200', () => {
    expect(pageLimit(undefined)).toBe(50);
    expect(pageLimit(200)).toBe(200);
    expect(() => pageLimit(201)).toThrow(/limit/);
    expect(() => pageLimit(0)).toThrow(/limit/);
  });

  it('returns a next cursor only when a row beyond the limit was fetched', () => {
    const rows = [1, 2, 3].map((n) => ({ n, at: new Date(n * 1000), id: `x${n}` }));
    const more = toPage(
      rows,
      2,
      (r) => r,
      (r) => r.n,
    );
    expect(more.data).toEqual([1, 2]);
    expect(decodeCursor(more.next_cursor!)).toEqual({ at: new Date(2000), id: 'x2' });
    expect(
      toPage(
        rows.slice(0, 2),
        2,
        (r) => r,
        (r) => r.n,
      ),
    ).toEqual({ data: [1, 2], next_cursor: null });
    expect(
      toPage(
        [],
        2,
        (r: { at: Date; id: string }) => r,
        () => 0,
      ),
    ).toEqual({ data: [], next_cursor: null });
  });
});
