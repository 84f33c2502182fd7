/**
 * The console's static files (`console/` at the package root, shipped by package.json "files";
 * plain ES modules, no build step), served at /console with headers that keep the page to itself:
 * a Content-Security-Policy with no inline script or style and nothing from another origin, and
 * no framing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody } from '../api/errors.js';
import type { Logger } from '../observability/logger.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The `console/` folder: beside `src/` in a checkout, beside `dist/` in the package; null when missing. */
export function consoleDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'console');
    if (statSync(join(candidate, 'index.html'), { throwIfNoEntry: false })?.isFile()) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** Every file under `dir` with a known type, by URL path below /console/ (read once, they are small). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const type = CONTENT_TYPES[extname(file)];
    if (type === undefined) continue;
    assets.set(relative(dir, file).split(sep).join('/'), { type, body: readFileSync(file) });
  }
  return assets;
}

function send(reply: FastifyReply, asset: Asset): FastifyReply {
  return (
    reply
      .header('Content-Type', asset.type)
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Frame-Options', 'DENY')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cross-Origin-Opener-Policy', 'same-origin')
      // Revalidate on every load: a new release is seen at once; the files are a few kilobytes.
      .header('Cache-Control', 'no-cache')
      .send(asset.body)
  );
}

/** A missing `console/` (a packaging mistake) costs the console only: the API still starts. */
const MISSING = 'the console is not installed: console/ is missing beside this hookstream package';

export function consoleAssetRoutes(
  app: FastifyInstance,
  dir: string | null = consoleDir(),
  logger?: Pick<Logger, 'error'>,
): void {
  if (dir === null) logger?.error(`${MISSING}; GET /console answers 404`);
  const assets = dir === null ? new Map<string, Asset>() : loadAssets(dir);
  const index = assets.get('index.html');
  for (const url of ['/console', '/console/']) {
    app.get(
      url,
      {
        config: { auth: 'none' },
        schema: {
          operationId: url === '/console' ? 'console' : 'consoleSlash',
          summary: 'The operator console (a single-page app; sign in with an API key)',
          tags: ['operations'],
          hide: url !== '/console',
        },
      },
      async (_request, reply) =>
        index === undefined ? reply.status(404).send(errorBody('NOT_FOUND', MISSING)) : send(reply, index),
    );
  }
  app.get<{ Params: { '*': string } }>(
    '/console/*',
    { config: { auth: 'none' }, schema: { hide: true } },
    async (request, reply) => {
      const asset = assets.get(request.params['*']);
      if (asset === undefined) {
        return reply.status(404).send(errorBody('NOT_FOUND', `no console file ${request.params['*']}`));
      }
      return send(reply, asset);
    },
  );
}
