/** RFC 3339 timestamps (`2024-05-01T12:00:00.123+02:00`) → epoch milliseconds, strictly. */

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range `toISOString()` writes with 4 digits. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses an RFC 3339 date-time (`T` or `t` separator, `Z` or a numeric offset, any number of
 * fraction digits — truncated to milliseconds; a leap second `:60` rolls into the next second).
 * Returns epoch milliseconds, or null when the text is not RFC 3339 or the calendar date is
 * impossible (2023-02-29) or the instant falls outside years 0000–9999 in UTC.
 */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339_RE.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetMin = 0;
  if (sign !== undefined) {
    const offH = Number(oh);
    const offM = Number(om);
    if (offH > 23 || offM > 59) return null;
    offsetMin = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const epochMs = date.getTime() - offsetMin * 60_000;
  return epochMs < MIN_MS || epochMs > MAX_MS ? null : epochMs;
}

/** The same instant in the canonical form `YYYY-MM-DDTHH:mm:ss.sssZ`, or null (see `parseRfc3339`). */
export function normalizeRfc3339(text: string): string | null {
  const ms = parseRfc3339(text);
  return ms === null ? null : new Date(ms).toISOString();
}
