/**
 * The OpenAPI 3.1 document at /openapi.json, generated from the same route schemas Fastify
 * validates and serializes with (collected by an `onRoute` hook), so the two cannot drift apart.
 */
import type { RouteOptions } from 'fastify';
import type { AuthLevel } from './auth.js';

declare module 'fastify' {
  interface FastifySchema {
    operationId?: string;
    summary?: string;
    description?: string;
    tags?: readonly string[];
    /** Left out of the OpenAPI document. */
    hide?: boolean;
  }
}

export interface CollectedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: Record<string, unknown>;
  readonly auth: AuthLevel;
  readonly optionalBody: boolean;
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  description?: string;
};

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: queued for delivery',
  '204': 'No content',
  '4XX':
    'Client error (400 malformed, 401 no/invalid key, 403 admin only, 404 not found, 409 conflict, 413 too large, 422 invalid)',
  '5XX': 'Server error (503 MongoDB or Kafka unreachable)',
};

/** Turns what `onRoute` sees into a route entry; HEAD twins of GET routes are skipped. */
export function collectRoute(route: RouteOptions): CollectedRoute[] {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const config = (route.config ?? {}) as { auth?: AuthLevel; optionalBody?: boolean };
  return methods
    .filter((m) => m !== 'HEAD')
    .map((method) => ({
      method,
      url: route.url,
      schema: (route.schema ?? {}) as Record<string, unknown>,
      auth: config.auth ?? 'key',
      optionalBody: config.optionalBody === true,
    }));
}

function parameters(schema: unknown, where: 'path' | 'query') {
  const s = schema as JsonSchema | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name,
      in: where,
      required: where === 'path' || (s.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function responses(schema: unknown) {
  const out: Record<string, unknown> = {};
  for (const [status, body] of Object.entries((schema ?? {}) as Record<string, JsonSchema>)) {
    const key = status.toUpperCase();
    const described = body as JsonSchema & { type?: string };
    out[key] =
      described.type === 'null'
        ? { description: described.description ?? STATUS_TEXT[key] ?? key }
        : {
            description: STATUS_TEXT[key] ?? described.description ?? key,
            content: { 'application/json': { schema: body } },
          };
  }
  return out;
}

export function buildOpenApiDocument(routes: readonly CollectedRoute[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.schema['hide'] === true) continue;
    const path = r.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const operation: Record<string, unknown> = {
      operationId: r.schema['operationId'],
      summary: r.schema['summary'],
      description: r.schema['description'],
      tags: r.schema['tags'],
      security: r.auth === 'none' ? [] : [{ bearerAuth: [] }],
      parameters: [
        ...parameters(r.schema['params'], 'path'),
        ...parameters(r.schema['querystring'], 'query'),
      ],
      ...(r.schema['body']
        ? {
            requestBody: {
              required: !r.optionalBody,
              content: { 'application/json': { schema: r.schema['body'] } },
            },
          }
        : {}),
      responses: responses(r.schema['response']),
    };
    for (const key of Object.keys(operation)) if (operation[key] === undefined) delete operation[key];
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hookstream admin API',
      version: info.version,
      description:
        'Register webhooks per environment, inspect and replay deliveries, rotate secrets. Authenticate with ' +
        '`Authorization: Bearer <key>`: the admin key (HOOKSTREAM_ADMIN_API_KEY) or a key scoped to one environment. ' +
        'Errors are `{"error": {"code", "message"}}`.',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Admin or environment API key.' },
      },
    },
    paths,
  };
}
