/**
 * Request validation with two Ajv instances: bodies are validated as sent (no type coercion, unknown
 * fields are errors, never silently dropped); path and query strings are coerced to the declared
 * types (`?limit=10` → 10). Ajv errors become one message naming the field.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { SAFE_TEXT_PATTERN, UNSAFE_TEXT_MESSAGE } from '../security/text.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as typeof addFormatsModule.default;

const COMMON: Options = {
  allErrors: false,
  removeAdditional: false,
  useDefaults: true,
  strict: true,
  allowUnionTypes: true,
};

function ajv(options: Options): Ajv {
  const instance = new Ajv({ ...COMMON, ...options });
  addFormats(instance, ['date-time']);
  return instance;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = ajv({ coerceTypes: false });
  const strings = ajv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema as object);
}

/** `/event_types/0` → `event_types[0]`; `` → `` */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`),
      '',
    );
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** One readable sentence for the first Ajv error, starting with the field it concerns. */
export function describeValidationError(error: ErrorObject, part: string): string {
  const path = fieldPath(error.instancePath);
  const field = path === '' ? part : path;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${path === '' ? part : path}: unknown field "${String(params['additionalProperty'])}"`;
    case 'required':
      return `${join(path, String(params['missingProperty']))}: is required`;
    case 'enum':
      return `${field}: must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minProperties':
      return `${field}: must set at least ${String(params['limit'])} field(s)`;
    case 'pattern':
      return params['pattern'] === SAFE_TEXT_PATTERN
        ? `${field}: ${UNSAFE_TEXT_MESSAGE}`
        : `${field}: ${error.message ?? 'is invalid'}`;
    case 'format':
      return `${field}: must be ${params['format'] === 'date-time' ? 'an RFC 3339 date-time' : `a ${String(params['format'])}`}`;
    default:
      return `${field}: ${error.message ?? 'is invalid'}`;
  }
}
