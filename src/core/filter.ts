/**
 * Payload filters: a small match language on the event, validated once when a webhook is registered
 * and compiled to a predicate the router runs per (event, webhook). The language (docs/options.md):
 *
 * - A filter is a JSON object. Each key is a path, each value a condition; all keys must hold
 *   (implicit AND). `$or: [filter, …]` holds when at least one of its filters does. `{}` matches all.
 * - A path is `workflow_run_id` or `data.<key>[.<key>…]`. A key that is a canonical array index
 *   (`0`, `7`, not `07`) indexes into an array; anywhere else a key names an own property. Keys
 *   containing `.` cannot be addressed. There is no implicit array traversal (unlike MongoDB).
 * - A condition is a scalar (string, number, boolean, null: equality, strict — `1` never equals
 *   `"1"`, `null` matches a present null, never a missing key) or an object of operators, all of
 *   which must hold: `$in: [scalar, …]`, `$exists: boolean`, `$prefix: "non-empty string"`,
 *   `$gt: number`, `$lt: number`. Comparing with an object or array is refused: address its fields.
 * - Missing paths match only `$exists: false`. `$gt`/`$lt` match numbers only, `$prefix` strings only.
 *
 * Paths resolve through own properties only, so `__proto__`, `constructor` or `length` never reach
 * a prototype or an array's length. Limits: `MAX_FILTER_BYTES`, `MAX_FILTER_DEPTH`,
 * `MAX_PATH_KEYS`. Errors are `VALIDATION_FAILED` with details `{ path, reason }`, `path` being the
 * place in the filter document (`filter.$or[1].data.tier.$in[2]`). Reasons: `not_json`,
 * `too_large`, `too_deep`, `not_object`, `invalid_path`, `unknown_operator`, `wrong_type`,
 * `not_finite`, `empty`, `object_equality`, `contradiction`.
 *
 * A filter decides relevance, not access: it is no security boundary (see `compileFilterTable`).
 */
import { HookstreamError } from './errors.js';
import { compileClause, type FilterEvent, type FilterPredicate, invalid } from './filter-compile.js';

export {
  FILTER_OPERATORS,
  type FilterEvent,
  type FilterPredicate,
  type FilterScalar,
  MAX_FILTER_DEPTH,
  MAX_PATH_KEYS,
} from './filter-compile.js';

/** Largest accepted filter, bytes of its compact JSON. @default 4096 */
export const MAX_FILTER_BYTES = 4096;

export interface CompiledFilter {
  /** The validated filter as compact JSON: store this text (MongoDB refuses keys with `.`/`$`). */
  readonly text: string;
  readonly matches: FilterPredicate;
}

/** Validates and compiles a filter given as parsed JSON. Throws `VALIDATION_FAILED`. */
export function parseFilter(value: unknown): CompiledFilter {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    const reason = err instanceof RangeError ? 'too_deep' : 'not_json';
    throw invalid('filter', reason, 'is not a JSON value (cyclic, too deep or holding a bigint)', err);
  }
  if (text === undefined) throw invalid('filter', 'not_object', 'must be a JSON object');
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_FILTER_BYTES) {
    throw invalid(
      'filter',
      'too_large',
      `is ${size} bytes of JSON, more than the limit of ${MAX_FILTER_BYTES}`,
    );
  }
  return { text, matches: compileClause(value, 'filter', 1) };
}

/** `parseFilter` of stored or typed-in JSON text. */
export function parseFilterText(text: string): CompiledFilter {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid('filter', 'not_json', `is not JSON: ${(err as Error).message}`, err);
  }
  return parseFilter(value);
}

// ─── routing ──────────────────────────────────────────────────────────────────────────────────

/** What the router needs of a webhook to filter: its id and its stored filter text, if any. */
export interface FilterableWebhook {
  readonly id: string;
  readonly filter?: string | null | undefined;
}

export interface FilterTable {
  /** Predicates of the webhooks that have a filter; webhooks without one are absent. */
  readonly filters: ReadonlyMap<string, FilterPredicate>;
  /** Stored filters that no longer parse (log each one): those webhooks get every event (fail open). */
  readonly invalid: readonly { readonly id: string; readonly error: HookstreamError }[];
}

/**
 * Compiles the stored filters of `webhooks`, once per index rebuild. A stored filter that no longer
 * parses (only if the language ever shrank) fails open: the webhook gets every event it subscribes
 * to, because losing events is worse than sending some the receiver did not ask for.
 */
export function compileFilterTable(webhooks: Iterable<FilterableWebhook>): FilterTable {
  const filters = new Map<string, FilterPredicate>();
  const invalid: { id: string; error: HookstreamError }[] = [];
  for (const { id, filter } of webhooks) {
    if (filter === undefined || filter === null) continue;
    try {
      filters.set(id, parseFilterText(filter).matches);
    } catch (err) {
      if (!(err instanceof HookstreamError)) throw err;
      invalid.push({ id, error: err });
    }
  }
  return { filters, invalid };
}

/**
 * The ids of `ids` (from `WebhookIndex.match`) whose filter, if any, matches `event`, in the same
 * order. Returns `ids` itself when none is filtered out, so the common case allocates nothing.
 */
export function applyFilters(
  ids: readonly string[],
  filters: ReadonlyMap<string, FilterPredicate>,
  event: FilterEvent,
): readonly string[] {
  if (filters.size === 0) return ids;
  for (let i = 0; i < ids.length; i++) {
    const predicate = filters.get(ids[i]!);
    if (predicate !== undefined && !predicate(event)) return keepFrom(ids, i, filters, event);
  }
  return ids;
}

/** `ids[first]` is filtered out; keep the ones before it and the matching ones after it. */
function keepFrom(
  ids: readonly string[],
  first: number,
  filters: ReadonlyMap<string, FilterPredicate>,
  event: FilterEvent,
): readonly string[] {
  const kept = ids.slice(0, first);
  for (let i = first + 1; i < ids.length; i++) {
    const id = ids[i]!;
    const predicate = filters.get(id);
    if (predicate === undefined || predicate(event)) kept.push(id);
  }
  return Object.freeze(kept);
}
