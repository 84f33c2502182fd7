import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseDurationWithName } from '../../../src/core/duration.js';
import { thrown } from './thrown.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['1s', 1_000],
    ['1m', 60_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['6h', 21_600_000],
    ['24h', 86_400_000],
    ['2d', 172_800_000],
    ['0s', 0],
    [' 10m ', 600_000],
    ['90s', 90_000],
  ])('%j → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['10', 'invalid_format'],
    ['m', 'invalid_format'],
    ['1.5h', 'invalid_format'],
    ['-1m', 'invalid_format'],
    ['1M', 'invalid_format'],
    ['1 m', 'invalid_format'],
    ['1min', 'invalid_format'],
    ['1w', 'invalid_format'],
    ['1h30m', 'invalid_format'],
    ['1e3ms', 'invalid_format'],
    ['1234567890123456ms', 'invalid_format'],
    ['999999999999999d', 'too_large'],
  ])('rejects %j (%s) with INVALID_TIER', (text, reason) => {
    const err = thrown(() => parseDuration(text));
    expect(err).toMatchObject({ code: 'INVALID_TIER', details: { reason } });
    expect((err as Error).message).toMatch(/duration/);
  });

  it('names the bad value and the expected form in the message', () => {
    expect((thrown(() => parseDuration('1.5h')) as Error).message).toBe(
      '"1.5h" is not a duration: expected a whole number followed by ms, s, m, h or d (e.g. 10m)',
    );
  });
});

describe('parseDurationWithName', () => {
  it.each([
    ['10m', '10m'],
    ['010m', '10m'],
    [' 1h', '1h'],
    ['60s', '60s'],
  ])('%j is named %j', (text, name) => {
    expect(parseDurationWithName(text).name).toBe(name);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [1, '1ms'],
    [1_500, '1500ms'],
    [60_000, '1m'],
    [90_000, '90s'],
    [3_600_000, '1h'],
    [86_400_000, '1d'],
    [90_000_000, '25h'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([-1, 1.5, Number.NaN])('rejects %d', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });
});
