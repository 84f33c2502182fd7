/** Durations as written in configuration (`500ms`, `1s`, `10m`, `6h`, `2d`) → milliseconds. */
import { HookstreamError } from './errors.js';

export const DURATION_UNITS_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

export type DurationUnit = keyof typeof DURATION_UNITS_MS;

const DURATION_RE = /^(\d{1,15})(ms|s|m|h|d)$/;

export interface ParsedDuration {
  readonly ms: number;
  /** Canonical spelling: leading zeros dropped (`010m` → `10m`). */
  readonly name: string;
}

/**
 * Parses a whole number followed by a unit (`ms`, `s`, `m`, `h`, `d`; lowercase, no space, no
 * fraction) and returns the duration with its canonical name. `0s` is a valid duration; callers
 * that need a positive one check it. Throws `INVALID_TIER` (details: `value`, `reason`).
 */
export function parseDurationWithName(text: string): ParsedDuration {
  const trimmed = text.trim();
  const m = DURATION_RE.exec(trimmed);
  if (m === null) {
    const reason = trimmed === '' ? 'empty' : 'invalid_format';
    throw new HookstreamError(
      'INVALID_TIER',
      trimmed === ''
        ? 'duration is empty: expected a whole number followed by ms, s, m, h or d (e.g. 10m)'
        : `"${trimmed}" is not a duration: expected a whole number followed by ms, s, m, h or d (e.g. 10m)`,
      { details: { value: trimmed, reason } },
    );
  }
  const amount = Number(m[1]);
  const unit = m[2] as DurationUnit;
  const ms = amount * DURATION_UNITS_MS[unit];
  if (!Number.isSafeInteger(ms)) {
    throw new HookstreamError('INVALID_TIER', `"${trimmed}" is too long a duration`, {
      details: { value: trimmed, reason: 'too_large' },
    });
  }
  return { ms, name: `${amount}${unit}` };
}

/** `parseDurationWithName(text).ms`. */
export function parseDuration(text: string): number {
  return parseDurationWithName(text).ms;
}

/** Milliseconds → the shortest exact spelling: 3_600_000 → `1h`, 90_000 → `90s`, 1_500 → `1500ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in milliseconds: ${ms}`);
  if (ms === 0) return '0ms';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit];
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
