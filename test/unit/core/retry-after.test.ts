import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter } from '../../../src/core/retry-after.js';

const NOW = Date.UTC(1994, 10, 6, 8, 49, 7); // Sun, 06 Nov 1994 08:49:07 GMT

describe('parseRetryAfter', () => {
  it.each<[string | null | undefined, number | null]>([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['007', 7_000],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 30_000],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 30_000],
    ['Sun Nov  6 08:49:37 1994', 30_000],
    ['Sun, 06 Nov 1994 08:48:37 GMT', 0],
    ['Mon, 07 Nov 1994 08:49:07 GMT', 86_400_000],
    [null, null],
    [undefined, null],
    ['', null],
    ['-1', null],
    ['1.5', null],
    ['+5', null],
    ['soon', null],
    ['5s', null],
    ['Sun, 06 Nov 1994 08:49:37 gmt', null],
    ['Sun, 06 Nov 1994 08:49:37 +0000', null],
    ['Sun, 6 Nov 1994 08:49:37 GMT', null],
    ['Sun, 31 Feb 1994 08:49:37 GMT', null],
    ['Sun, 06 Nov 1994 24:00:00 GMT', null],
    ['1994-11-06T08:49:37Z', null],
  ])('%j → %j', (header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });
});

describe('parseHttpDate', () => {
  it('accepts a leap day only in leap years', () => {
    expect(parseHttpDate('Thu, 29 Feb 2024 00:00:00 GMT', 0)).toBe(Date.UTC(2024, 1, 29));
    expect(parseHttpDate('Wed, 29 Feb 2023 00:00:00 GMT', 0)).toBeNull();
  });

  it.each([
    // now = 2024: a two-digit year up to 50 years ahead is this century, further ahead the last one.
    ['Monday, 01-Jan-30 00:00:00 GMT', Date.UTC(2030, 0, 1)],
    ['Monday, 01-Jan-74 00:00:00 GMT', Date.UTC(2074, 0, 1)],
    ['Monday, 01-Jan-75 00:00:00 GMT', Date.UTC(1975, 0, 1)],
    ['Monday, 01-Jan-99 00:00:00 GMT', Date.UTC(1999, 0, 1)],
  ])('reads RFC 850 %j relative to now', (text, expected) => {
    expect(parseHttpDate(text, Date.UTC(2024, 5, 1))).toBe(expected);
  });

  it('accepts a two-digit asctime day', () => {
    expect(parseHttpDate('Fri Nov 18 08:49:37 1994', 0)).toBe(Date.UTC(1994, 10, 18, 8, 49, 37));
  });
});
