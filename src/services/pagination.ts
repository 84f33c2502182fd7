/**
 * Cursor pagination: `limit` (default 50, at most 200) and an opaque `cursor` naming the last item
 * of the previous page as (timestamp, id). Pages answer `{ data, next_cursor }`; `next_cursor` is
 * null on the last page.
 */
import { HookstreamError } from '../core/errors.js';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

export interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
}

export interface Page<T> {
  readonly data: T[];
  readonly next_cursor: string | null;
}

/** A position in a (time, id)-ordered list. */
export interface Position {
  readonly at: Date;
  readonly id: string;
}

export function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify({ t: p.at.getTime(), i: p.id }), 'utf8').toString('base64url');
}

/** Latest instant a JavaScript Date holds, epoch milliseconds (year 275760). */
const MAX_DATE_MS = 8_640_000_000_000_000;
/** What ids of this API look like (`wh_…`, `dlv_…`, `key_…`). */
const CURSOR_ID_RE = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * Throws BAD_REQUEST when the cursor was not made by `encodeCursor`: not base64url JSON, a time
 * outside what a Date holds (`t=9007199254740991` would match everything), or an id of other
 * characters.
 */
export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t?: unknown;
      i?: unknown;
    };
    const t = value.t;
    if (
      typeof t === 'number' &&
      Number.isSafeInteger(t) &&
      t >= 0 &&
      t <= MAX_DATE_MS &&
      typeof value.i === 'string' &&
      CURSOR_ID_RE.test(value.i)
    ) {
      return { at: new Date(t), id: value.i };
    }
  } catch {
    // fall through
  }
  throw new HookstreamError('BAD_REQUEST', 'cursor: is not a cursor this API returned', {
    details: { field: 'cursor' },
  });
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new HookstreamError('VALIDATION_FAILED', `limit: must be between 1 and ${MAX_PAGE_LIMIT}`, {
      details: { field: 'limit' },
    });
  }
  return limit;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says there is more.
 */
export function toPage<D, T>(
  rows: readonly D[],
  limit: number,
  position: (d: D) => Position,
  view: (d: D) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    data: items.map(view),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}
