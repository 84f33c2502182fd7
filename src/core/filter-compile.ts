/**
 * The filter compiler behind `parseFilter` (filter.ts): a validated filter document → a predicate.
 * Compiling allocates (closures, Sets); evaluating does not: a path is resolved by an indexed loop
 * over precomputed keys, and a missing key is one shared symbol.
 */
import type { Envelope } from './envelope.js';
import { HookstreamError } from './errors.js';

/** Nesting of filters: the top level is 1, each `$or` adds one. */
export const MAX_FILTER_DEPTH = 4;
/** Keys after `data` in one path: `data.a.b` has 2. */
export const MAX_PATH_KEYS = 16;

/** What a filter can see of an event. */
export type FilterEvent = Pick<Envelope, 'data' | 'workflow_run_id'>;
export type FilterPredicate = (event: FilterEvent) => boolean;
export type FilterScalar = string | number | boolean | null;

export const FILTER_OPERATORS = ['$in', '$exists', '$prefix', '$gt', '$lt'] as const;

// ─── compiling ────────────────────────────────────────────────────────────────────────────────

const ALWAYS: FilterPredicate = () => true;

/** Compiles one filter object; `at` is its place in the document (for errors), `depth` 1 at the top. */
export function compileClause(node: unknown, at: string, depth: number): FilterPredicate {
  if (!isPlainObject(node)) throw invalid(at, 'not_object', `must be an object, got ${describe(node)}`);
  const parts: FilterPredicate[] = [];
  for (const key of Object.keys(node)) {
    const here = child(at, key);
    const value = node[key];
    if (key === '$or') parts.push(compileOr(value, here, depth));
    else if (key.startsWith('$')) {
      throw invalid(here, 'unknown_operator', `"${clip(key)}" is not allowed here: use $or, or a path`);
    } else parts.push(compileCondition(parsePath(key, here), value, here));
  }
  return all(parts);
}

function compileOr(value: unknown, at: string, depth: number): FilterPredicate {
  if (!Array.isArray(value))
    throw invalid(at, 'wrong_type', `must be an array of filters, got ${describe(value)}`);
  if (value.length === 0) throw invalid(at, 'empty', 'must hold at least one filter');
  if (depth + 1 > MAX_FILTER_DEPTH) {
    throw invalid(at, 'too_deep', `filters nest deeper than ${MAX_FILTER_DEPTH} levels`);
  }
  const branches = value.map((branch, i) => compileClause(branch, `${at}[${i}]`, depth + 1));
  return any(branches);
}

interface Path {
  readonly root: 'data' | 'workflow_run_id';
  readonly keys: readonly string[];
  /** Per key: its array index when it is a canonical one, else -1. */
  readonly indexes: readonly number[];
}

const INDEX_RE = /^(?:0|[1-9]\d{0,8})$/;

function parsePath(key: string, at: string): Path {
  if (key === 'workflow_run_id') return { root: 'workflow_run_id', keys: [], indexes: [] };
  const segments = key.split('.');
  if (segments[0] !== 'data' || segments.length < 2) {
    throw invalid(
      at,
      'invalid_path',
      `"${clip(key)}" is not a path: use workflow_run_id or data.<key>[.<key>…]`,
    );
  }
  const keys = segments.slice(1);
  if (keys.includes('')) throw invalid(at, 'invalid_path', `"${clip(key)}" has an empty key`);
  if (keys.length > MAX_PATH_KEYS) {
    throw invalid(at, 'too_deep', `"${clip(key)}" has more than ${MAX_PATH_KEYS} keys after data`);
  }
  return { root: 'data', keys, indexes: keys.map((k) => (INDEX_RE.test(k) ? Number(k) : -1)) };
}

type ValueTest = (value: unknown) => boolean;

function compileCondition(path: Path, condition: unknown, at: string): FilterPredicate {
  if (!isPlainObject(condition)) {
    const literal = scalar(condition, at);
    return (event) => resolve(event, path) === literal;
  }
  const ops = Object.keys(condition);
  if (ops.length === 0) throw invalid(at, 'empty', 'an operator object needs at least one operator');
  const plain = ops.find((op) => !op.startsWith('$'));
  if (plain !== undefined) {
    throw invalid(
      child(at, plain),
      'object_equality',
      'comparing with an object is not supported: filter on its fields with a longer path',
    );
  }
  if (condition['$exists'] === false && ops.length > 1) {
    throw invalid(at, 'contradiction', '$exists: false cannot be combined with other operators');
  }
  const tests = ops.map((op) => compileOperator(op, condition[op], child(at, op)));
  if (tests.length === 1) {
    const only = tests[0]!;
    return (event) => only(resolve(event, path));
  }
  return (event) => {
    const value = resolve(event, path);
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(value)) return false;
    return true;
  };
}

function compileOperator(op: string, operand: unknown, at: string): ValueTest {
  switch (op) {
    case '$in': {
      if (!Array.isArray(operand))
        throw invalid(at, 'wrong_type', `must be an array, got ${describe(operand)}`);
      if (operand.length === 0) throw invalid(at, 'empty', 'must hold at least one value');
      // A Set compares with SameValueZero: strict like `===`, so 1 and "1" stay apart.
      const set = new Set<unknown>(operand.map((v, i) => scalar(v, `${at}[${i}]`)));
      return (value) => set.has(value);
    }
    case '$exists':
      if (typeof operand !== 'boolean')
        throw invalid(at, 'wrong_type', `must be true or false, got ${describe(operand)}`);
      return operand ? (value) => value !== MISSING : (value) => value === MISSING;
    case '$prefix': {
      if (typeof operand !== 'string')
        throw invalid(at, 'wrong_type', `must be a string, got ${describe(operand)}`);
      if (operand === '') throw invalid(at, 'empty', 'must not be empty');
      return (value) => typeof value === 'string' && value.startsWith(operand);
    }
    case '$gt':
    case '$lt': {
      if (typeof operand !== 'number')
        throw invalid(at, 'wrong_type', `must be a number, got ${describe(operand)}`);
      if (!Number.isFinite(operand)) throw invalid(at, 'not_finite', `${operand} is not a finite number`);
      return op === '$gt'
        ? (value) => typeof value === 'number' && value > operand
        : (value) => typeof value === 'number' && value < operand;
    }
    default:
      throw invalid(
        at,
        'unknown_operator',
        `"${clip(op)}" is not an operator: use one of ${FILTER_OPERATORS.join(', ')}`,
      );
  }
}

function scalar(value: unknown, at: string): FilterScalar {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(at, 'not_finite', `${value} is not a finite number`);
      return value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) {
        throw invalid(
          at,
          'wrong_type',
          'comparing with an array is not supported: use $in for one of several values',
        );
      }
      if (isPlainObject(value)) {
        throw invalid(
          at,
          'object_equality',
          'comparing with an object is not supported: filter on its fields',
        );
      }
      throw invalid(at, 'wrong_type', `${value.constructor?.name ?? 'object'} is not a JSON value`);
    default:
      throw invalid(at, 'wrong_type', `${typeof value} is not a JSON value`);
  }
}

function all(parts: readonly FilterPredicate[]): FilterPredicate {
  if (parts.length === 0) return ALWAYS;
  if (parts.length === 1) return parts[0]!;
  return (event) => {
    for (let i = 0; i < parts.length; i++) if (!parts[i]!(event)) return false;
    return true;
  };
}

function any(parts: readonly FilterPredicate[]): FilterPredicate {
  if (parts.length === 1) return parts[0]!;
  return (event) => {
    for (let i = 0; i < parts.length; i++) if (parts[i]!(event)) return true;
    return false;
  };
}

// ─── evaluating (the hot path: no allocation) ─────────────────────────────────────────────────

/** What a path resolves to when some key along it is absent. */
const MISSING: unique symbol = Symbol('missing');

function resolve(event: FilterEvent, path: Path): unknown {
  if (path.root === 'workflow_run_id') return event.workflow_run_id ?? MISSING;
  let value: unknown = event.data;
  const { keys, indexes } = path;
  for (let i = 0; i < keys.length; i++) {
    if (typeof value !== 'object' || value === null) return MISSING;
    if (Array.isArray(value)) {
      const index = indexes[i]!;
      if (index < 0 || index >= value.length) return MISSING;
      value = value[index];
    } else {
      const key = keys[i]!;
      if (!Object.hasOwn(value, key)) return MISSING;
      value = (value as Record<string, unknown>)[key];
    }
  }
  return value === undefined ? MISSING : value;
}

// ─── errors ───────────────────────────────────────────────────────────────────────────────────

const SIMPLE_KEY_RE = /^[A-Za-z_$][\w$.]*$/;

function child(at: string, key: string): string {
  return SIMPLE_KEY_RE.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(clip(key))}]`;
}

export function invalid(path: string, reason: string, message: string, cause?: unknown): HookstreamError {
  return new HookstreamError('VALIDATION_FAILED', `${path}: ${message}`, {
    details: { path, reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
