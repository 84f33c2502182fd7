/** The `Retry-After` response header (RFC 9110 §10.2.3) → milliseconds from now. */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** `Sun, 06 Nov 1994 08:49:37 GMT` — the preferred format. */
const IMF_FIXDATE_RE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` — obsolete, still to be accepted. */
const RFC850_RE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` — obsolete ANSI C asctime(), still to be accepted. */
const ASCTIME_RE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * Parses `Retry-After` as delta-seconds (`120`) or an HTTP-date in any of the three formats
 * RFC 9110 requires recipients to accept. Returns milliseconds from `nowMs` (0 for a date in the
 * past), or null when the header is absent or malformed (negative or fractional seconds, other date
 * spellings, impossible dates). An RFC 850 two-digit year more than 50 years ahead of `nowMs` is
 * read as the most recent past year with those digits, as RFC 9110 prescribes.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : null;
  }
  const dateMs = parseHttpDate(text, nowMs);
  return dateMs === null ? null : Math.max(0, dateMs - nowMs);
}

/** An HTTP-date → epoch milliseconds, or null. `nowMs` resolves RFC 850 two-digit years. */
export function parseHttpDate(text: string, nowMs: number): number | null {
  let m = IMF_FIXDATE_RE.exec(text);
  if (m !== null) {
    const [, day, month, year, h, mi, s] = m;
    return utc(Number(year), month!, Number(day), Number(h), Number(mi), Number(s));
  }
  m = RFC850_RE.exec(text);
  if (m !== null) {
    const [, day, month, yy, h, mi, s] = m;
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(yy);
    if (year > nowYear + 50) year -= 100;
    return utc(year, month!, Number(day), Number(h), Number(mi), Number(s));
  }
  m = ASCTIME_RE.exec(text);
  if (m !== null) {
    const [, month, day, h, mi, s, year] = m;
    return utc(Number(year), month!, Number(day!.trim()), Number(h), Number(mi), Number(s));
  }
  return null;
}

function utc(
  year: number,
  monthName: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | null {
  const month = MONTHS.indexOf(monthName);
  if (hour > 23 || minute > 59 || second > 60) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  // An impossible day (31 Feb) rolls over into the next month: reject it.
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return null;
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}
